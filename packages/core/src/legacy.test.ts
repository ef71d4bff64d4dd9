import { describe, expect, it } from 'vitest';
import { isRhizomeError, type RhizomeError } from './errors.ts';
import { importLegacyDelta, importLegacyDeltas, LEGACY_MICROSECONDS_FROM, type LegacyImportOptions } from './legacy.ts';
import { parseDeltaJson } from './parse.ts';
import type { Delta } from './types.ts';

// Fixtures in the shape rhizome-node put on the network: uuid ids, microsecond timestamps
// (microtime.now()), string targets that become references when they carry a targetContext.
const CAST = {
  id: '3f9c1a52-8d1e-4c55-9a3b-2b1e0f6d7c11',
  timeCreated: 1_718_123_456_789_012,
  host: 'rhizome-node-1',
  creator: 'user-alice',
  pointers: [
    { localContext: 'actor', target: 'keanu', targetContext: 'roles' },
    { localContext: 'role', target: 'neo', targetContext: 'actor' },
    { localContext: 'film', target: 'the_matrix', targetContext: 'cast' },
    { localContext: 'base_salary', target: 1_000_000 },
    { localContext: 'salary_currency', target: 'usd' },
  ],
};

/** The same assertion in rhizome-node's later object form, keyed by localContext. */
const CAST_KEYED = {
  id: 'a2b7d4e0-1c3f-4e9a-8b6d-5f0e1d2c3b4a',
  timeCreated: 1_718_123_456_789_012,
  host: 'rhizome-node-1',
  creator: 'user-alice',
  pointers: {
    actor: { keanu: 'roles' },
    role: { neo: 'actor' },
    film: { the_matrix: 'cast' },
    base_salary: 1_000_000,
    salary_currency: 'usd',
  },
};

const NEGATION = {
  id: '7c0e9b1d-2f4a-4b8c-9d3e-6a5f4e3d2c1b',
  timeCreated: 1_718_123_500_000_000,
  host: 'rhizome-node-2',
  creator: 'user-bob',
  pointers: [{ localContext: '_negates', target: CAST.id, targetContext: 'negated_by' }],
};

const NEGATION_OF_NEGATION = {
  id: 'e1d2c3b4-a5f6-4e7d-8c9b-0a1b2c3d4e5f',
  timeCreated: 1_718_123_600_000_000,
  host: 'rhizome-node-1',
  creator: 'user-alice',
  pointers: { _negates: { [NEGATION.id]: 'negated_by' } },
};

const TX_DECLARATION = {
  id: 'c0ffee00-0000-4000-8000-000000000001',
  timeCreated: 1_718_200_000_000_000,
  host: 'rhizome-node-1',
  creator: 'user-alice',
  pointers: [
    { localContext: '_transaction', target: 'tx-42', targetContext: 'size' },
    { localContext: 'size', target: 1 },
  ],
};

const TX_MEMBER = {
  id: 'c0ffee00-0000-4000-8000-000000000002',
  timeCreated: 1_718_200_000_000_001,
  host: 'rhizome-node-1',
  creator: 'user-alice',
  pointers: [
    { localContext: '_transaction', target: 'tx-42', targetContext: 'deltas' },
    { localContext: 'name', target: 'keanu', targetContext: 'name' },
    { localContext: 'value', target: 'Keanu Reeves' },
    { localContext: 'verified', target: true },
    { localContext: 'nickname', target: null },
  ],
  // Fields a stored rhizome-node Delta carried besides its network image.
  timeReceived: 1_718_200_000_000_100,
  receivedFrom: { addr: '10.0.0.2', port: 4000 },
};

function legacyError(run: () => unknown): RhizomeError {
  try {
    run();
  } catch (error) {
    if (isRhizomeError(error, 'LEGACY_IMPORT_INVALID')) return error;
    throw error;
  }
  throw new Error('expected LEGACY_IMPORT_INVALID');
}

const pathOf = (images: unknown, options?: LegacyImportOptions) => legacyError(() => importLegacyDeltas(images, options)).path;
const byOldId = (result: { deltas: readonly Delta[]; idMap: ReadonlyMap<string, string> }, oldId: string) =>
  result.deltas.find((d) => d.id === result.idMap.get(oldId))!;

describe('importLegacyDeltas', () => {
  it('imports the pointer-array form: string targets with a targetContext become references', () => {
    const { deltas, idMap } = importLegacyDeltas([CAST]);
    expect(deltas).toHaveLength(1);
    const delta = deltas[0]!;
    expect(idMap.get(CAST.id)).toBe(delta.id);
    expect(delta.id).not.toBe(CAST.id);
    expect(delta.timeCreated).toBe(1_718_123_456_789); // microseconds → milliseconds
    expect(delta.host).toBe('rhizome-node-1');
    expect(delta.creator).toBe('user-alice');
    expect(delta.pointers).toEqual([
      { localContext: 'actor', target: { id: 'keanu' }, targetContext: 'roles' },
      { localContext: 'role', target: { id: 'neo' }, targetContext: 'actor' },
      { localContext: 'film', target: { id: 'the_matrix' }, targetContext: 'cast' },
      { localContext: 'base_salary', target: 1_000_000 },
      { localContext: 'salary_currency', target: 'usd' },
    ]);
    expect(Object.isFrozen(delta)).toBe(true);
  });

  it('imports the object form keyed by localContext to the same delta', () => {
    const arrayForm = importLegacyDeltas([CAST]).deltas[0]!;
    const keyedForm = importLegacyDeltas([CAST_KEYED]).deltas[0]!;
    expect(keyedForm).toEqual(arrayForm);
  });

  it('produces valid v1 deltas with content ids', () => {
    const { deltas } = importLegacyDeltas([CAST, NEGATION, NEGATION_OF_NEGATION, TX_DECLARATION, TX_MEMBER]);
    expect(deltas).toHaveLength(5);
    for (const delta of deltas) expect(parseDeltaJson(JSON.stringify(delta))).toEqual(delta);
  });

  it('rewrites negations to the new ids and to the v1 vocabulary, whatever the input order', () => {
    const result = importLegacyDeltas([NEGATION_OF_NEGATION, NEGATION, CAST]);
    expect(result.deltas.map((d) => d.id)).toEqual([NEGATION_OF_NEGATION, NEGATION, CAST].map((d) => result.idMap.get(d.id)));
    expect(byOldId(result, NEGATION.id).pointers).toEqual([
      { localContext: 'negates', target: { id: result.idMap.get(CAST.id) }, targetContext: 'negated_by' },
    ]);
    expect(byOldId(result, NEGATION_OF_NEGATION.id).pointers).toEqual([
      { localContext: 'negates', target: { id: result.idMap.get(NEGATION.id) }, targetContext: 'negated_by' },
    ]);
  });

  it('reads a null targetContext as absent', () => {
    const delta = importLegacyDeltas([{ ...CAST, pointers: [{ localContext: 'salary_currency', target: 'usd', targetContext: null }] }]).deltas[0]!;
    expect(delta.pointers).toEqual([{ localContext: 'salary_currency', target: 'usd' }]);
  });

  it('also reads negations already spelled `negates`', () => {
    const negation = { ...NEGATION, pointers: [{ localContext: 'negates', target: CAST.id, targetContext: 'negated_by' }] };
    const result = importLegacyDeltas([CAST, negation]);
    expect(byOldId(result, NEGATION.id).pointers[0]!.target).toEqual({ id: result.idMap.get(CAST.id) });
  });

  it('keeps the transaction vocabulary, with the transaction id as a reference', () => {
    const result = importLegacyDeltas([TX_DECLARATION, TX_MEMBER]);
    expect(byOldId(result, TX_DECLARATION.id).pointers).toEqual([
      { localContext: '_transaction', target: { id: 'tx-42' }, targetContext: 'size' },
      { localContext: 'size', target: 1 },
    ]);
    const member = byOldId(result, TX_MEMBER.id);
    expect(member.pointers[0]).toEqual({ localContext: '_transaction', target: { id: 'tx-42' }, targetContext: 'deltas' });
    expect(member.pointers.slice(2)).toEqual([
      { localContext: 'value', target: 'Keanu Reeves' },
      { localContext: 'verified', target: true },
      { localContext: 'nickname', target: null },
    ]);
    expect(Object.keys(member)).not.toContain('timeReceived');
  });

  it('resolves negations of earlier batches through knownIds', () => {
    const first = importLegacyDeltas([CAST]);
    const second = importLegacyDeltas([NEGATION], { knownIds: first.idMap });
    expect(second.deltas[0]!.pointers[0]!.target).toEqual({ id: first.idMap.get(CAST.id) });
  });

  it('rejects an unresolvable negation, or keeps the old id when asked to', () => {
    expect(pathOf([CAST_KEYED, NEGATION])).toEqual([1, 'pointers', 0, 'target']);
    const kept = importLegacyDeltas([NEGATION], { unresolvedNegations: 'keep' });
    expect(kept.deltas[0]!.pointers[0]).toEqual({ localContext: 'negates', target: { id: CAST.id }, targetContext: 'negated_by' });
  });

  it('dedupes an image repeated verbatim, and maps every old id of equal content to one delta', () => {
    const copy = { ...CAST_KEYED, id: 'another-uuid-for-the-same-assertion' };
    const result = importLegacyDeltas([CAST, CAST, CAST_KEYED, copy]);
    expect(result.deltas).toHaveLength(1);
    expect(new Set(result.idMap.values()).size).toBe(1);
    expect([...result.idMap.keys()].sort()).toEqual([CAST.id, CAST_KEYED.id, copy.id].sort());
  });

  it('rejects one old id used for two different deltas', () => {
    expect(pathOf([CAST, { ...CAST, host: 'elsewhere' }])).toEqual([1, 'id']);
  });

  it('rejects negations that form a cycle', () => {
    const a = { ...NEGATION, id: 'a', pointers: [{ localContext: '_negates', target: 'b', targetContext: 'negated_by' }] };
    const b = { ...NEGATION, id: 'b', pointers: [{ localContext: '_negates', target: 'a', targetContext: 'negated_by' }] };
    const self = { ...NEGATION, id: 's', pointers: [{ localContext: '_negates', target: 's', targetContext: 'negated_by' }] };
    expect(legacyError(() => importLegacyDeltas([a, b])).message).toMatch(/cycle/);
    expect(pathOf([self])).toEqual([0, 'pointers', 0]);
  });

  it('handles long negation chains without deep recursion', () => {
    const chain = [CAST, ...Array.from({ length: 5000 }, (_, i) => ({
      ...NEGATION,
      id: `n-${i}`,
      pointers: [{ localContext: '_negates', target: i === 0 ? CAST.id : `n-${i - 1}`, targetContext: 'negated_by' }],
    }))].reverse();
    const result = importLegacyDeltas(chain);
    expect(result.deltas).toHaveLength(5001);
    expect(byOldId(result, 'n-4999').pointers[0]!.target).toEqual({ id: result.idMap.get('n-4998') });
  });

  describe('timestamps', () => {
    it('reads microseconds and milliseconds by size under auto', () => {
      const ms = { ...CAST, timeCreated: 1_718_123_456_789 };
      expect(importLegacyDeltas([ms]).deltas[0]!.timeCreated).toBe(1_718_123_456_789);
      expect(importLegacyDeltas([{ ...CAST, timeCreated: LEGACY_MICROSECONDS_FROM }]).deltas[0]!.timeCreated).toBe(LEGACY_MICROSECONDS_FROM / 1000);
      expect(importLegacyDeltas([{ ...CAST, timeCreated: LEGACY_MICROSECONDS_FROM - 1 }]).deltas[0]!.timeCreated).toBe(LEGACY_MICROSECONDS_FROM - 1);
    });

    it('follows an explicit unit and floors fractions', () => {
      expect(importLegacyDeltas([{ ...CAST, timeCreated: 5_000_999 }], { timeUnit: 'us' }).deltas[0]!.timeCreated).toBe(5000);
      expect(importLegacyDeltas([CAST], { timeUnit: 'ms' }).deltas[0]!.timeCreated).toBe(CAST.timeCreated);
      expect(importLegacyDeltas([{ ...CAST, timeCreated: 1234.9 }]).deltas[0]!.timeCreated).toBe(1234);
    });
  });

  describe('rejects bad input with LEGACY_IMPORT_INVALID and a path', () => {
    const withPointers = (pointers: unknown) => [{ ...CAST, pointers }];
    const cases: [string, unknown, (string | number)[]][] = [
      ['a batch that is not an array', { deltas: [CAST] }, []],
      ['a delta that is not an object', [CAST, 'delta'], [1]],
      ['a missing id', [{ ...CAST, id: undefined }], [0, 'id']],
      ['an empty host', [{ ...CAST, host: '' }], [0, 'host']],
      ['a numeric creator', [{ ...CAST, creator: 7 }], [0, 'creator']],
      ['a string timeCreated', [{ ...CAST, timeCreated: '1718123456789' }], [0, 'timeCreated']],
      ['a negative timeCreated', [{ ...CAST, timeCreated: -1 }], [0, 'timeCreated']],
      ['missing pointers', [{ ...CAST, pointers: undefined }], [0, 'pointers']],
      ['pointers as a string', withPointers('actor'), [0, 'pointers']],
      ['an empty pointer array', withPointers([]), [0, 'pointers']],
      ['an empty pointer object', withPointers({}), [0, 'pointers']],
      ['a pointer that is not an object', withPointers([CAST.pointers[0], 42]), [0, 'pointers', 1]],
      ['a pointer without localContext', withPointers([{ target: 'x' }]), [0, 'pointers', 0, 'localContext']],
      ['a pointer without target', withPointers([{ localContext: 'x' }]), [0, 'pointers', 0, 'target']],
      ['an object target in the array form', withPointers([{ localContext: 'x', target: { id: 'e' } }]), [0, 'pointers', 0, 'target']],
      ['a non-finite number', withPointers([{ localContext: 'x', target: Number.NaN }]), [0, 'pointers', 0, 'target']],
      ['a targetContext on a number', withPointers([{ localContext: 'x', target: 5, targetContext: 'p' }]), [0, 'pointers', 0, 'targetContext']],
      ['an empty targetContext', withPointers([{ localContext: 'x', target: 'e', targetContext: '' }]), [0, 'pointers', 0, 'targetContext']],
      ['a keyed reference with two entries', withPointers({ actor: { keanu: 'roles', neo: 'roles' } }), [0, 'pointers', 'actor']],
      ['a keyed reference without entries', withPointers({ actor: {} }), [0, 'pointers', 'actor']],
      ['a keyed reference with a numeric targetContext', withPointers({ actor: { keanu: 1 } }), [0, 'pointers', 'actor', 'keanu']],
      ['a keyed array value', withPointers({ actor: ['keanu'] }), [0, 'pointers', 'actor']],
      ['an empty localContext key', withPointers({ '': 1 }), [0, 'pointers', '']],
      // v1 limits apply after conversion; the path still points into the legacy input.
      ['a host over the v1 length limit', [{ ...CAST, host: 'h'.repeat(600) }], [0, 'host']],
      ['a keyed localContext over the limit', withPointers({ ['k'.repeat(600)]: 1 }), [0, 'pointers', 'k'.repeat(600), 'localContext']],
    ];

    it.each(cases)('%s', (_name, images, path) => {
      const error = legacyError(() => importLegacyDeltas(images, { timeUnit: 'auto' }));
      expect(error.path).toEqual(path);
      expect(error.message).toMatch(/^\$/);
    });

    it('a timestamp past the last Date', () => {
      const error = legacyError(() => importLegacyDeltas([{ ...CAST, timeCreated: 9e15 }], { timeUnit: 'ms' }));
      expect(error.path).toEqual([0, 'timeCreated']);
    });

    it('keeps the v1 validation error as the cause', () => {
      const error = legacyError(() => importLegacyDeltas([{ ...CAST, host: 'h'.repeat(600) }]));
      expect(isRhizomeError(error.cause, 'DELTA_INVALID')).toBe(true);
    });
  });
});

describe('importLegacyDelta', () => {
  it('imports one image and returns its old id', () => {
    const { oldId, delta } = importLegacyDelta(CAST_KEYED);
    expect(oldId).toBe(CAST_KEYED.id);
    expect(delta).toEqual(importLegacyDeltas([CAST]).deltas[0]);
  });

  it('resolves negations only through knownIds', () => {
    expect(legacyError(() => importLegacyDelta(NEGATION)).path).toEqual(['pointers', 0, 'target']);
    const known = new Map([[CAST.id, 'X'.repeat(43)]]);
    expect(importLegacyDelta(NEGATION, { knownIds: known }).delta.pointers[0]!.target).toEqual({ id: 'X'.repeat(43) });
  });
});
