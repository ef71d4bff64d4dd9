import { computeDeltaId } from '@rhizome/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertProperty } from '@rhizome/vitest-config/seed';
import { createIdSnapshot } from './fingerprint.ts';
import { arrayIdIndex, openStoreIdIndex, type IdIndex } from './id-index.ts';
import { findLowerBound } from './sorted.ts';
import { answerReconciliation, ID_PREFIX_LENGTH, separate, startReconciliation, type ReconcileOptions } from './reconcile.ts';
import type { Range } from './messages.ts';

const idFor = (n: number): string => computeDeltaId({ timeCreated: n, host: 'h', creator: 'c', pointers: [{ localContext: 'x', target: n }] });

type OpenIndex = (sorted: readonly string[]) => Promise<IdIndex>;

const inMemory: OpenIndex = async (sorted) => arrayIdIndex(createIdSnapshot(sorted));

/** An index over a sorted array as a store would serve it, with tiny blocks and cache. */
const overStore =
  (blockSize: number, cachedBlocks: number): OpenIndex =>
  (sorted) =>
    openStoreIdIndex(
      async (after, limit) => {
        let start = after === undefined ? 0 : findLowerBound(sorted, after);
        if (after !== undefined && sorted[start] === after) start++;
        return sorted.slice(start, start + limit);
      },
      async (lower, upper) =>
        sorted.slice(findLowerBound(sorted, lower), upper === null ? sorted.length : findLowerBound(sorted, upper)),
      { blockSize, cachedBlocks },
    );

/** Runs a whole conversation between two id sets; returns what each side learnt and the bytes. */
async function converse(
  a: readonly string[],
  b: readonly string[],
  options?: ReconcileOptions,
  open: readonly [OpenIndex, OpenIndex] = [inMemory, inMemory],
) {
  const snapshots = [await open[0]([...a].sort()), await open[1]([...b].sort())] as const;
  const lacks = [new Set<string>(), new Set<string>()];
  const transcript: Range[][] = [];
  let message: Range[] = await startReconciliation(snapshots[0], options);
  transcript.push(message);
  let bytes = JSON.stringify(message).length;
  let side = 1;
  let rounds = 0;
  while (message.length > 0) {
    rounds++;
    if (rounds > 100) throw new Error('no convergence');
    const step = await answerReconciliation(snapshots[side]!, message, options);
    // Compared as prefixes: the side that lacks an id may only have learnt its prefix.
    for (const id of step.theyLack) lacks[1 - side]!.add(id.slice(0, ID_PREFIX_LENGTH));
    for (const id of step.weLack) lacks[side]!.add(id);
    message = step.ranges;
    transcript.push(message);
    bytes += JSON.stringify(message).length;
    side = 1 - side;
  }
  return { aLacks: lacks[0]!, bLacks: lacks[1]!, bytes, rounds, transcript };
}

describe('range reconciliation', () => {
  it('finds exactly the symmetric difference of any two sets', async () => {
    const pool = Array.from({ length: 400 }, (_, i) => idFor(i));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 399 })), fc.uniqueArray(fc.integer({ min: 0, max: 399 })), async (xs, ys) => {
        const a = xs.map((i) => pool[i]!);
        const b = ys.map((i) => pool[i]!);
        const { aLacks, bLacks } = await converse(a, b, { branching: 4, leafSize: 4, maxMessageBytes: 1 << 20 });
        const prefix = (id: string) => id.slice(0, ID_PREFIX_LENGTH);
        expect([...aLacks].sort()).toEqual(b.filter((id) => !a.includes(id)).map(prefix).sort());
        expect([...bLacks].sort()).toEqual(a.filter((id) => !b.includes(id)).map(prefix).sort());
      }),
      { numRuns: 150 },
    );
  });

  it('reads ids from a store-backed block index exactly as from memory (same messages)', async () => {
    const pool = Array.from({ length: 300 }, (_, i) => idFor(i));
    await assertProperty(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 299 })),
        fc.uniqueArray(fc.integer({ min: 0, max: 299 })),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        async (xs, ys, blockSize, cachedBlocks) => {
          const a = xs.map((i) => pool[i]!);
          const b = ys.map((i) => pool[i]!);
          const options = { branching: 4, leafSize: 4, maxMessageBytes: 1 << 20 };
          const plain = await converse(a, b, options);
          const stored = await converse(a, b, options, [overStore(blockSize, cachedBlocks), overStore(blockSize, cachedBlocks)]);
          expect(JSON.stringify(stored.transcript)).toBe(JSON.stringify(plain.transcript));
        },
      ),
      200,
    );
  });

  it('keeps only block summaries: a store-backed index reads ids as ranges need them', async () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => idFor(i)).sort();
    let read = 0;
    const index = await openStoreIdIndex(
      async (after, limit) => {
        let start = after === undefined ? 0 : findLowerBound(ids, after);
        if (after !== undefined && ids[start] === after) start++;
        return ids.slice(start, start + limit);
      },
      async (lower, upper) => {
        const slice = ids.slice(findLowerBound(ids, lower), upper === null ? ids.length : findLowerBound(ids, upper));
        read += slice.length;
        return slice;
      },
      { blockSize: 1024, cachedBlocks: 4 },
    );
    expect(index.size).toBe(20_000);
    // The whole set's fingerprint comes from the summaries and the two edge blocks.
    expect(await index.fingerprint(0, 20_000)).toBe(createIdSnapshot(ids).fingerprint(0, 20_000));
    expect(read).toBeLessThanOrEqual(2 * 1024);
    expect(await index.lowerBound(ids[12_345]!)).toBe(12_345);
    expect(await index.range(9_998, 10_002)).toEqual(ids.slice(9_998, 10_002));
  });

  it('ends after one round trip when the sets are equal', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => idFor(i));
    const result = await converse(ids, ids);
    expect(result.rounds).toBe(1);
    expect(result.bytes).toBeLessThan(100);
  });

  it('sends bytes in proportion to the difference, not the set size', async () => {
    const shared = Array.from({ length: 20_000 }, (_, i) => idFor(i));
    const small = await converse([...shared, idFor(-1)], [...shared, idFor(-2)]);
    const onlyA = Array.from({ length: 100 }, (_, i) => idFor(100_000 + i));
    const onlyB = Array.from({ length: 100 }, (_, i) => idFor(200_000 + i));
    const onePercent = await converse([...shared, ...onlyA], [...shared, ...onlyB]);
    expect(onePercent.aLacks.size).toBe(100);
    expect(onePercent.bLacks.size).toBe(100);
    const allIds = shared.length * 44;
    console.log(`reconcile bytes: 2 differences ${small.bytes}, 200 differences ${onePercent.bytes}; all ids ${allIds}`);
    expect(small.bytes).toBeLessThan(5_000);
    expect(onePercent.bytes).toBeLessThan(allIds / 5);
  });

  it('makes progress under a tiny message budget', async () => {
    const shared = Array.from({ length: 3000 }, (_, i) => idFor(i));
    const onlyA = Array.from({ length: 300 }, (_, i) => idFor(10_000 + i));
    const result = await converse([...shared, ...onlyA], shared, { branching: 16, leafSize: 16, maxMessageBytes: 2048 });
    expect(result.bLacks.size).toBe(300);
  });

  it('separates two ids with the shortest prefix', () => {
    expect(separate('abc', 'abd')).toBe('abd');
    expect(separate('abc', 'b12')).toBe('b');
    expect(separate('a', 'ab')).toBe('ab');
  });
});
