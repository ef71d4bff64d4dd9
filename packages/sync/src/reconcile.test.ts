import { computeDeltaId } from '@rhizome/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIdSnapshot } from './fingerprint.ts';
import { answerReconciliation, ID_PREFIX_LENGTH, separate, startReconciliation, type ReconcileOptions } from './reconcile.ts';
import type { Range } from './messages.ts';

const idFor = (n: number): string => computeDeltaId({ timeCreated: n, host: 'h', creator: 'c', pointers: [{ localContext: 'x', target: n }] });

/** Runs a whole conversation between two id sets; returns what each side learnt and the bytes. */
function converse(a: readonly string[], b: readonly string[], options?: ReconcileOptions) {
  const snapshots = [createIdSnapshot([...a].sort()), createIdSnapshot([...b].sort())] as const;
  const lacks = [new Set<string>(), new Set<string>()];
  let message: Range[] = startReconciliation(snapshots[0], options);
  let bytes = JSON.stringify(message).length;
  let side = 1;
  let rounds = 0;
  while (message.length > 0) {
    rounds++;
    if (rounds > 100) throw new Error('no convergence');
    const step = answerReconciliation(snapshots[side]!, message, options);
    // Compared as prefixes: the side that lacks an id may only have learnt its prefix.
    for (const id of step.theyLack) lacks[1 - side]!.add(id.slice(0, ID_PREFIX_LENGTH));
    for (const id of step.weLack) lacks[side]!.add(id);
    message = step.ranges;
    bytes += JSON.stringify(message).length;
    side = 1 - side;
  }
  return { aLacks: lacks[0]!, bLacks: lacks[1]!, bytes, rounds };
}

describe('range reconciliation', () => {
  it('finds exactly the symmetric difference of any two sets', () => {
    const pool = Array.from({ length: 400 }, (_, i) => idFor(i));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 399 })), fc.uniqueArray(fc.integer({ min: 0, max: 399 })), (xs, ys) => {
        const a = xs.map((i) => pool[i]!);
        const b = ys.map((i) => pool[i]!);
        const { aLacks, bLacks } = converse(a, b, { branching: 4, leafSize: 4, maxMessageBytes: 1 << 20 });
        const prefix = (id: string) => id.slice(0, ID_PREFIX_LENGTH);
        expect([...aLacks].sort()).toEqual(b.filter((id) => !a.includes(id)).map(prefix).sort());
        expect([...bLacks].sort()).toEqual(a.filter((id) => !b.includes(id)).map(prefix).sort());
      }),
      { numRuns: 150 },
    );
  });

  it('ends after one round trip when the sets are equal', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => idFor(i));
    const result = converse(ids, ids);
    expect(result.rounds).toBe(1);
    expect(result.bytes).toBeLessThan(100);
  });

  it('sends bytes in proportion to the difference, not the set size', () => {
    const shared = Array.from({ length: 20_000 }, (_, i) => idFor(i));
    const small = converse([...shared, idFor(-1)], [...shared, idFor(-2)]);
    const onlyA = Array.from({ length: 100 }, (_, i) => idFor(100_000 + i));
    const onlyB = Array.from({ length: 100 }, (_, i) => idFor(200_000 + i));
    const onePercent = converse([...shared, ...onlyA], [...shared, ...onlyB]);
    expect(onePercent.aLacks.size).toBe(100);
    expect(onePercent.bLacks.size).toBe(100);
    const allIds = shared.length * 44;
    console.log(`reconcile bytes: 2 differences ${small.bytes}, 200 differences ${onePercent.bytes}; all ids ${allIds}`);
    expect(small.bytes).toBeLessThan(5_000);
    expect(onePercent.bytes).toBeLessThan(allIds / 5);
  });

  it('makes progress under a tiny message budget', () => {
    const shared = Array.from({ length: 3000 }, (_, i) => idFor(i));
    const onlyA = Array.from({ length: 300 }, (_, i) => idFor(10_000 + i));
    const result = converse([...shared, ...onlyA], shared, { branching: 16, leafSize: 16, maxMessageBytes: 2048 });
    expect(result.bLacks.size).toBe(300);
  });

  it('separates two ids with the shortest prefix', () => {
    expect(separate('abc', 'abd')).toBe('abd');
    expect(separate('abc', 'b12')).toBe('b');
    expect(separate('a', 'ab')).toBe('ab');
  });
});
