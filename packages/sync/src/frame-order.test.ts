import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFrameOrder } from './frame-order.ts';

describe('createFrameOrder', () => {
  it('delivers every frame exactly once, in order, whatever the arrival order and duplication', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((count) =>
          fc.shuffledSubarray(
            Array.from({ length: count * 2 }, (_, i) => (i % count) + 1),
            { minLength: count * 2, maxLength: count * 2 },
          ).map((arrivals) => ({ count, arrivals })),
        ),
        ({ count, arrivals }) => {
          const order = createFrameOrder<number>();
          const delivered: number[] = [];
          for (const n of arrivals) {
            const result = order.accept(n, n);
            if (result !== 'duplicate') delivered.push(...result);
          }
          expect(delivered).toEqual(Array.from({ length: count }, (_, i) => i + 1));
          expect(order.held).toBe(0);
        },
      ),
    );
  });

  it('holds frames behind a gap and names the missing one', () => {
    const order = createFrameOrder<string>();
    expect(order.accept(1, 'a')).toEqual(['a']);
    expect(order.accept(3, 'c')).toEqual([]);
    expect(order.accept(4, 'd')).toEqual([]);
    expect([order.held, order.expected]).toEqual([2, 2]);
    expect(order.accept(3, 'c')).toBe('duplicate');
    expect(order.accept(2, 'b')).toEqual(['b', 'c', 'd']);
    expect(order.accept(1, 'a')).toBe('duplicate');
  });
});
