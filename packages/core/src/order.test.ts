import { describe, expect, it } from 'vitest';
import { compareDeltas } from './order.ts';

const d = (timeCreated: number, id: string) => ({ timeCreated, id });

describe('compareDeltas', () => {
  it('orders by timeCreated first', () => {
    expect(compareDeltas(d(1, 'z'), d(2, 'a'))).toBe(-1);
    expect(compareDeltas(d(2, 'a'), d(1, 'z'))).toBe(1);
  });

  it('breaks ties by id, comparing code units (not locale)', () => {
    expect(compareDeltas(d(1, 'A'), d(1, 'a'))).toBe(-1);
    expect(compareDeltas(d(1, '_'), d(1, '-'))).toBe(1);
    expect(compareDeltas(d(1, 'b'), d(1, 'b'))).toBe(0);
  });

  it('gives one total order whatever the arrival order', () => {
    const items = [d(3, 'b'), d(1, 'c'), d(3, 'a'), d(2, 'x'), d(1, 'a'), d(2, 'w')];
    const expected = [d(1, 'a'), d(1, 'c'), d(2, 'w'), d(2, 'x'), d(3, 'a'), d(3, 'b')];
    for (let rotation = 0; rotation < items.length; rotation++) {
      const arrival = [...items.slice(rotation), ...items.slice(0, rotation)].reverse();
      expect(arrival.sort(compareDeltas)).toEqual(expected);
    }
  });

  it('is antisymmetric and transitive on a sample', () => {
    const items = [d(1, 'a'), d(1, 'b'), d(2, 'a'), d(0, 'zz'), d(2, 'A')];
    for (const a of items) {
      for (const b of items) {
        expect(Math.sign(compareDeltas(a, b))).toBe(-Math.sign(compareDeltas(b, a)) || 0);
        for (const c of items) {
          if (compareDeltas(a, b) <= 0 && compareDeltas(b, c) <= 0) expect(compareDeltas(a, c)).toBeLessThanOrEqual(0);
        }
      }
    }
  });
});
