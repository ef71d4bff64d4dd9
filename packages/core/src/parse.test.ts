import { describe, expect, it } from 'vitest';
import { sampleContent, sampleDelta, sampleWire, type WireJson } from '../test/fixtures.ts';
import { createDelta } from './create.ts';
import { isRhizomeError } from './errors.ts';
import { computeDeltaId } from './id.ts';
import { DeltaLimits } from './limits.ts';
import { parseDelta, parseDeltaContent, parseDeltaJson, parseDeltaWithJson } from './parse.ts';

function rejection(run: () => unknown): { code: string; path: readonly (string | number)[] | undefined; message: string } {
  try {
    run();
  } catch (error) {
    if (!isRhizomeError(error)) throw error;
    return { code: error.code, path: error.path, message: error.message };
  }
  throw new Error('expected a rejection');
}

function mutated(change: (delta: WireJson) => void): WireJson {
  const wire = sampleWire();
  change(wire);
  return wire;
}

const long = (length: number) => 'x'.repeat(length);

describe('parseDelta accepts', () => {
  it('a valid wire delta and returns a frozen copy', () => {
    const wire = sampleWire();
    const delta = parseDelta(wire);
    expect(delta).toEqual(sampleDelta());
    expect(Object.isFrozen(delta)).toBe(true);
    expect(Object.isFrozen(delta.pointers)).toBe(true);
    expect(Object.isFrozen(delta.pointers[0])).toBe(true);
    expect(Object.isFrozen(delta.pointers[0]!.target)).toBe(true);
    wire.creator = 'mallory';
    expect(delta.creator).toBe('alice');
  });

  it('every kind of target, and names and strings at their length limits', () => {
    const content = {
      timeCreated: DeltaLimits.maxTimeCreated,
      host: long(DeltaLimits.maxNameLength),
      creator: 'c',
      pointers: [
        { localContext: 's', target: long(DeltaLimits.maxStringLength) },
        { localContext: 'n', target: -1.5e-7 },
        { localContext: 'b', target: false },
        { localContext: 'z', target: null },
        { localContext: 'empty', target: '' },
        { localContext: 'r', target: { id: long(DeltaLimits.maxNameLength) }, targetContext: 'p' },
        { localContext: 'bare reference', target: { id: 'e' } },
      ],
    };
    const delta = createDelta(content);
    expect(parseDeltaJson(JSON.stringify(delta)).id).toBe(delta.id);
  });

  it('timeCreated 0 and -0 (folded to 0)', () => {
    const zero = createDelta({ ...sampleContent(), timeCreated: 0 });
    const negativeZero = createDelta({ ...sampleContent(), timeCreated: -0 });
    expect(Object.is(negativeZero.timeCreated, 0)).toBe(true);
    expect(negativeZero.id).toBe(zero.id);
  });

  it('the maximum number of pointers', () => {
    const pointers = Array.from({ length: DeltaLimits.maxPointers }, (_, i) => ({ localContext: 'p', target: i }));
    expect(createDelta({ ...sampleContent(), pointers }).pointers).toHaveLength(DeltaLimits.maxPointers);
  });

  it('a signature, which is not part of the hashed content', () => {
    const signed = parseDelta({ ...sampleWire(), signature: 'sig' });
    expect(signed.signature).toBe('sig');
    expect(signed.id).toBe(sampleDelta().id);
    expect(computeDeltaId(signed)).toBe(signed.id);
  });

  it('a mismatched id when verifyId is false (trusted local replay)', () => {
    const wire = mutated((d) => (d.creator = 'mallory'));
    expect(parseDelta(wire, { verifyId: false }).creator).toBe('mallory');
  });

  it('optional keys present with the value undefined', () => {
    const wire: WireJson = { ...sampleWire(), signature: undefined };
    wire.pointers[1].targetContext = undefined;
    const delta = parseDelta(wire);
    expect('signature' in delta).toBe(false);
    expect('targetContext' in delta.pointers[1]!).toBe(false);
  });
});

describe('parseDelta rejects', () => {
  const cases: [string, () => unknown, string, (string | number)[]][] = [
    // not a delta at all
    ['null', () => null, 'DELTA_INVALID', []],
    ['an array', () => [], 'DELTA_INVALID', []],
    ['a string', () => 'delta', 'DELTA_INVALID', []],
    // missing fields
    ['a missing id', () => mutated((d) => delete d.id), 'DELTA_INVALID', ['id']],
    ['a missing timeCreated', () => mutated((d) => delete d.timeCreated), 'DELTA_INVALID', ['timeCreated']],
    ['a missing host', () => mutated((d) => delete d.host), 'DELTA_INVALID', ['host']],
    ['a missing creator', () => mutated((d) => delete d.creator), 'DELTA_INVALID', ['creator']],
    ['missing pointers', () => mutated((d) => delete d.pointers), 'DELTA_INVALID', ['pointers']],
    ['a missing localContext', () => mutated((d) => delete d.pointers[1].localContext), 'POINTER_INVALID', ['pointers', 1, 'localContext']],
    ['a missing target', () => mutated((d) => delete d.pointers[1].target), 'POINTER_INVALID', ['pointers', 1, 'target']],
    ['a reference without id', () => mutated((d) => (d.pointers[0].target = {})), 'POINTER_INVALID', ['pointers', 0, 'target']],
    // extra fields
    ['an extra field', () => mutated((d) => (d.version = 1)), 'DELTA_INVALID', ['version']],
    ['an extra pointer field', () => mutated((d) => (d.pointers[1].weight = 1)), 'POINTER_INVALID', ['pointers', 1, 'weight']],
    ['an extra reference field', () => mutated((d) => (d.pointers[0].target.type = 'x')), 'POINTER_INVALID', ['pointers', 0, 'target', 'type']],
    // bad types
    ['a numeric id', () => mutated((d) => (d.id = 1)), 'DELTA_INVALID', ['id']],
    ['a string timeCreated', () => mutated((d) => (d.timeCreated = '1700000000000')), 'DELTA_INVALID', ['timeCreated']],
    ['a numeric host', () => mutated((d) => (d.host = 7)), 'DELTA_INVALID', ['host']],
    ['a null creator', () => mutated((d) => (d.creator = null)), 'DELTA_INVALID', ['creator']],
    ['pointers as an object', () => mutated((d) => (d.pointers = { name: 'x' })), 'DELTA_INVALID', ['pointers']],
    ['a pointer that is a string', () => mutated((d) => (d.pointers[0] = 'p')), 'POINTER_INVALID', ['pointers', 0]],
    ['a numeric localContext', () => mutated((d) => (d.pointers[1].localContext = 3)), 'POINTER_INVALID', ['pointers', 1, 'localContext']],
    ['an array target', () => mutated((d) => (d.pointers[1].target = ['a'])), 'POINTER_INVALID', ['pointers', 1, 'target']],
    ['a numeric reference id', () => mutated((d) => (d.pointers[0].target = { id: 5 })), 'POINTER_INVALID', ['pointers', 0, 'target']],
    ['a numeric targetContext', () => mutated((d) => (d.pointers[0].targetContext = 5)), 'POINTER_INVALID', ['pointers', 0, 'targetContext']],
    ['a numeric signature', () => mutated((d) => (d.signature = 5)), 'DELTA_INVALID', ['signature']],
    // targetContext belongs to references only
    ['targetContext on a string', () => mutated((d) => (d.pointers[1].targetContext = 'x')), 'POINTER_INVALID', ['pointers', 1, 'targetContext']],
    ['targetContext on null', () => mutated((d) => ((d.pointers[1].target = null), (d.pointers[1].targetContext = 'x'))), 'POINTER_INVALID', ['pointers', 1, 'targetContext']],
    // numbers
    ['a NaN target', () => mutated((d) => (d.pointers[1].target = Number.NaN)), 'POINTER_INVALID', ['pointers', 1, 'target']],
    ['an infinite target', () => mutated((d) => (d.pointers[1].target = Number.POSITIVE_INFINITY)), 'POINTER_INVALID', ['pointers', 1, 'target']],
    ['a non-integer timeCreated', () => mutated((d) => (d.timeCreated = 1.5)), 'DELTA_INVALID', ['timeCreated']],
    ['a negative timeCreated', () => mutated((d) => (d.timeCreated = -1)), 'DELTA_INVALID', ['timeCreated']],
    ['a NaN timeCreated', () => mutated((d) => (d.timeCreated = Number.NaN)), 'DELTA_INVALID', ['timeCreated']],
    ['a timeCreated past the last Date', () => mutated((d) => (d.timeCreated = DeltaLimits.maxTimeCreated + 1)), 'DELTA_INVALID', ['timeCreated']],
    // pointer count
    ['zero pointers', () => mutated((d) => (d.pointers = [])), 'DELTA_INVALID', ['pointers']],
    [
      'too many pointers',
      () => mutated((d) => (d.pointers = Array.from({ length: DeltaLimits.maxPointers + 1 }, () => ({ localContext: 'p', target: 1 })))),
      'DELTA_INVALID',
      ['pointers'],
    ],
    // string lengths
    ['an empty host', () => mutated((d) => (d.host = '')), 'DELTA_INVALID', ['host']],
    ['an empty localContext', () => mutated((d) => (d.pointers[1].localContext = '')), 'POINTER_INVALID', ['pointers', 1, 'localContext']],
    ['an empty targetContext', () => mutated((d) => (d.pointers[0].targetContext = '')), 'POINTER_INVALID', ['pointers', 0, 'targetContext']],
    ['a too-long host', () => mutated((d) => (d.host = long(DeltaLimits.maxNameLength + 1))), 'DELTA_INVALID', ['host']],
    ['a too-long creator', () => mutated((d) => (d.creator = long(DeltaLimits.maxNameLength + 1))), 'DELTA_INVALID', ['creator']],
    ['a too-long localContext', () => mutated((d) => (d.pointers[1].localContext = long(DeltaLimits.maxNameLength + 1))), 'POINTER_INVALID', ['pointers', 1, 'localContext']],
    ['a too-long targetContext', () => mutated((d) => (d.pointers[0].targetContext = long(DeltaLimits.maxNameLength + 1))), 'POINTER_INVALID', ['pointers', 0, 'targetContext']],
    ['a too-long entity id', () => mutated((d) => (d.pointers[0].target.id = long(DeltaLimits.maxNameLength + 1))), 'POINTER_INVALID', ['pointers', 0, 'target', 'id']],
    ['a too-long string target', () => mutated((d) => (d.pointers[1].target = long(DeltaLimits.maxStringLength + 1))), 'POINTER_INVALID', ['pointers', 1, 'target']],
    ['a too-long signature', () => mutated((d) => (d.signature = long(DeltaLimits.maxNameLength + 1))), 'DELTA_INVALID', ['signature']],
    // encoded size
    [
      'an encoding over maxEncodedBytes',
      () => mutated((d) => (d.pointers = Array.from({ length: 5 }, () => ({ localContext: 's', target: long(DeltaLimits.maxStringLength) })))),
      'DELTA_TOO_LARGE',
      [],
    ],
    [
      'an encoding over maxEncodedBytes in UTF-8 though not in UTF-16 units',
      () => mutated((d) => (d.pointers = Array.from({ length: 2 }, () => ({ localContext: 's', target: '€'.repeat(50_000) })))),
      'DELTA_TOO_LARGE',
      [],
    ],
    // ids
    ['an id one character short', () => mutated((d) => (d.id = d.id.slice(1))), 'DELTA_INVALID', ['id']],
    ['an id with base64 (not base64url) characters', () => mutated((d) => (d.id = '+' + d.id.slice(1))), 'DELTA_INVALID', ['id']],
    ['an id with padding', () => mutated((d) => (d.id = d.id.slice(1) + '=')), 'DELTA_INVALID', ['id']],
    ['a tampered creator', () => mutated((d) => (d.creator = 'mallory')), 'DELTA_ID_MISMATCH', ['id']],
    ['a tampered pointer', () => mutated((d) => (d.pointers[1].target = 'Alicia')), 'DELTA_ID_MISMATCH', ['id']],
    ['reordered pointers', () => mutated((d) => d.pointers.reverse()), 'DELTA_ID_MISMATCH', ['id']],
    ['another delta’s id', () => mutated((d) => (d.id = 'A'.repeat(43))), 'DELTA_ID_MISMATCH', ['id']],
  ];

  it.each(cases)('%s', (_name, input, code, path) => {
    const error = rejection(() => parseDelta(input()));
    expect(error.code).toBe(code);
    expect(error.path).toEqual(path);
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('names the expected id in a mismatch', () => {
    const wire = mutated((d) => (d.creator = 'mallory'));
    const expected = computeDeltaId({ ...wire } as never);
    try {
      parseDelta(wire);
      expect.unreachable();
    } catch (error) {
      expect(isRhizomeError(error, 'DELTA_ID_MISMATCH') && error.details).toEqual({ id: wire.id, expected });
    }
  });
});

describe('parseDeltaJson', () => {
  it('parses JSON text', () => {
    expect(parseDeltaJson(JSON.stringify(sampleDelta()))).toEqual(sampleDelta());
  });

  it('rejects text that is not JSON with DELTA_INVALID at the root, keeping the cause', () => {
    try {
      parseDeltaJson('{"id":');
      expect.unreachable();
    } catch (error) {
      expect(isRhizomeError(error, 'DELTA_INVALID')).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(SyntaxError);
      expect((error as { path: unknown }).path).toEqual([]);
    }
  });

  it('applies the same rules as parseDelta', () => {
    const text = JSON.stringify({ ...sampleWire(), creator: 'mallory' });
    expect(rejection(() => parseDeltaJson(text))).toMatchObject({ code: 'DELTA_ID_MISMATCH', path: ['id'] });
  });
});

describe('parseDeltaContent', () => {
  it('accepts content without an id', () => {
    const { id: _id, ...content } = sampleDelta();
    expect(parseDeltaContent(content)).toEqual(content);
  });

  it('rejects an id among the content fields', () => {
    expect(rejection(() => parseDeltaContent(sampleWire()))).toMatchObject({ code: 'DELTA_INVALID', path: ['id'] });
  });

  it('rejects content over the size limit', () => {
    const { id: _id, ...content } = sampleDelta();
    const pointers = Array.from({ length: 5 }, () => ({ localContext: 's', target: long(DeltaLimits.maxStringLength) }));
    expect(rejection(() => parseDeltaContent({ ...content, pointers }))).toMatchObject({ code: 'DELTA_TOO_LARGE', path: [] });
  });
});

describe('parseDeltaWithJson', () => {
  it('returns the delta and JSON text that parses back to it', () => {
    const wire = mutated((w) => {
      w.creator = 'quote " and \\ and \u0007';
    });
    wire.id = computeDeltaId(wire as unknown as Parameters<typeof computeDeltaId>[0]);
    const { delta, json } = parseDeltaWithJson(wire);
    expect(delta).toEqual(parseDelta(wire));
    expect(JSON.parse(json)).toEqual(delta);
    // id first, then the canonical content the id hashes.
    expect(json.startsWith(`{"id":"${delta.id}","creator":`)).toBe(true);
  });

  it('writes a signature after the content', () => {
    const { delta, json } = parseDeltaWithJson({ ...sampleWire(), signature: 's"g' });
    expect(JSON.parse(json)).toEqual(delta);
    expect(json.endsWith(',"signature":"s\\"g"}')).toBe(true);
  });

  it('hands back a delta it validated before as it is, and copies any other', () => {
    const built = createDelta(sampleContent());
    expect(parseDeltaWithJson(built).delta).toBe(built);
    const parsed = parseDelta(sampleWire());
    expect(parseDelta(parsed)).toBe(parsed);
    // Frozen, but not by a parse that checked its id: checked again, and refused when wrong.
    const forged = Object.freeze({ ...built, id: sampleWire().id === built.id ? long(43) : sampleWire().id });
    expect(rejection(() => parseDeltaWithJson(forged)).code).toBe('DELTA_ID_MISMATCH');
    const unchecked = parseDelta({ ...sampleWire(), id: long(43) }, { verifyId: false });
    expect(rejection(() => parseDelta(unchecked)).code).toBe('DELTA_ID_MISMATCH');
  });
});
