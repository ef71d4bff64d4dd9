import { createDelta, type Delta } from '@rhizome/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateDeltas } from '../test/fixtures.ts';
import { createBatchEncoder, decodeBatch, encodeBatch, encodedBatchSchema, readEncodedBatch } from './codec.ts';
import { countUtf8Bytes } from './utf8.ts';

const name = fc.string({ minLength: 1, maxLength: 12 });
const target = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ maxLength: 20, unit: 'binary' }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.record({ id: name }),
);
const pointer = fc
  .tuple(name, target, fc.option(name, { nil: undefined }))
  .map(([localContext, t, targetContext]) =>
    typeof t === 'object' && t !== null && targetContext !== undefined
      ? { localContext, target: t, targetContext }
      : { localContext, target: t },
  );
const delta = fc
  .record({
    timeCreated: fc.integer({ min: 0, max: 2 ** 45 }),
    host: name,
    creator: name,
    pointers: fc.array(pointer, { minLength: 1, maxLength: 6 }),
  })
  .map((content) => createDelta(content));

describe('batch codec', () => {
  it('round-trips any valid deltas exactly, ids recomputed from content', () => {
    fc.assert(
      fc.property(fc.array(delta, { maxLength: 20 }), (deltas) => {
        const encoder = createBatchEncoder({ maxBytes: Number.POSITIVE_INFINITY });
        for (const d of deltas) encoder.add(d);
        expect(encoder.finishText()).toBe(JSON.stringify(encoder.finish()));
        expect(decodeBatch(JSON.parse(encoder.finishText()))).toEqual(deltas);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a signature, which is outside the hashed content', () => {
    const [first] = generateDeltas(1, 3);
    const signed: Delta = { ...first!, signature: 'sig-1' };
    expect(decodeBatch(JSON.parse(JSON.stringify(encodeBatch([signed]))))).toEqual([signed]);
  });

  it('is much smaller than plain JSON for realistic batches', () => {
    const deltas = generateDeltas(500, 7);
    const json = countUtf8Bytes(JSON.stringify(deltas));
    const compact = countUtf8Bytes(JSON.stringify(encodeBatch(deltas)));
    const perDelta = { json: json / deltas.length, compact: compact / deltas.length };
    console.log(`bytes per delta: JSON ${perDelta.json.toFixed(1)}, compact ${perDelta.compact.toFixed(1)} (${((100 * compact) / json).toFixed(0)}%)`);
    expect(compact).toBeLessThan(json * 0.5);
  });

  it('stays within the byte budget and reports its size closely', () => {
    const deltas = generateDeltas(300, 11);
    const encoder = createBatchEncoder({ maxBytes: 4096 });
    let taken = 0;
    while (taken < deltas.length && encoder.add(deltas[taken]!)) taken++;
    expect(taken).toBeGreaterThan(5);
    expect(taken).toBeLessThan(deltas.length);
    const actual = countUtf8Bytes(JSON.stringify(encoder.finish()));
    expect(actual).toBeLessThanOrEqual(4096);
    expect(Math.abs(actual - encoder.bytes)).toBeLessThan(64);
    expect(decodeBatch(encoder.finish())).toEqual(deltas.slice(0, taken));
    expect(encoder.finishText()).toBe(JSON.stringify(encoder.finish()));
  });

  it('rejects the whole batch when one row is invalid, naming the row', () => {
    const deltas = generateDeltas(3, 5);
    const wire = JSON.parse(JSON.stringify(encodeBatch(deltas)));
    wire.r[1][3] = [];
    try {
      decodeBatch(wire);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'SYNC_BATCH_REJECTED', details: { row: 1, code: 'DELTA_INVALID' } });
    }
  });

  it('checks batch shape by hand exactly as the documented zod schema does', () => {
    const valid = JSON.parse(JSON.stringify(encodeBatch(generateDeltas(6, 9)))) as unknown;
    const junk = fc.oneof(
      fc.constantFrom(-1, 0.5, 2 ** 60, 'x', null, true, [], {}, [0], [0, 1], [0, 1, 2], Number.NaN),
      fc.jsonValue({ maxDepth: 2 }),
    );
    // Replace one node anywhere in a valid batch with junk; both checks must agree.
    const paths: (string | number)[][] = [];
    const walk = (value: unknown, path: (string | number)[]): void => {
      paths.push(path);
      if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
      else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    };
    walk(valid, []);
    fc.assert(
      fc.property(fc.constantFrom(...paths), junk, fc.boolean(), (path, replacement, extraKey) => {
        const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
        let mutated: unknown = replacement;
        if (path.length > 0) {
          let parent: unknown = copy;
          for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[step];
          (parent as Record<string | number, unknown>)[path.at(-1)!] = replacement;
          mutated = copy;
        }
        if (extraKey && typeof mutated === 'object' && mutated !== null && !Array.isArray(mutated)) (mutated as Record<string, unknown>).z = 1;
        const bySchema = encodedBatchSchema.safeParse(mutated).success;
        let byHand = true;
        try {
          readEncodedBatch(mutated);
        } catch {
          byHand = false;
        }
        expect(byHand).toBe(bySchema);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects malformed batches and out-of-range string indices', () => {
    expect(() => decodeBatch({ b: 0, s: [], r: [[0, 0, 0, []]] })).toThrow(expect.objectContaining({ code: 'SYNC_BATCH_INVALID' }));
    expect(() => decodeBatch({ b: 'x', s: [], r: [] })).toThrow(expect.objectContaining({ code: 'SYNC_BATCH_INVALID' }));
  });
});
