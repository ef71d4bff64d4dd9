import { computeDeltaId } from '@rhizome/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeBackoff } from './backoff.ts';
import { createIdSnapshot } from './fingerprint.ts';
import { createRandom } from './random.ts';

const idFor = (n: number): string => computeDeltaId({ timeCreated: n, host: 'h', creator: 'c', pointers: [{ localContext: 'x', target: n }] });
const pool = Array.from({ length: 200 }, (_, i) => idFor(i));

describe('range fingerprints', () => {
  it('depend only on the ids in the range, not on what surrounds them', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 199 }), { minLength: 1 }), fc.nat(), fc.nat(), (picked, x, y) => {
        const ids = picked.map((i) => pool[i]!).sort();
        const [start, end] = [x % (ids.length + 1), y % (ids.length + 1)].sort((a, b) => a - b) as [number, number];
        const whole = createIdSnapshot(ids).fingerprint(start, end);
        expect(createIdSnapshot(ids.slice(start, end)).fingerprint(0, end - start)).toBe(whole);
      }),
    );
  });

  it('differ when one id differs', () => {
    const ids = pool.slice(0, 100).sort();
    const other = [...pool.slice(0, 99), pool[150]!].sort();
    expect(createIdSnapshot(ids).fingerprint(0, 100)).not.toBe(createIdSnapshot(other).fingerprint(0, 100));
    expect(createIdSnapshot([]).fingerprint(0, 0)).toBe(createIdSnapshot(ids).fingerprint(5, 5));
  });
});

describe('computeBackoff', () => {
  it('grows exponentially up to the cap, with jitter in the upper half', () => {
    const random = createRandom(1);
    for (let attempt = 0; attempt < 40; attempt++) {
      const ceiling = Math.min(1_000, 10 * 2 ** attempt);
      const delay = computeBackoff(attempt, random, { baseMs: 10, maxMs: 1_000 });
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
});
