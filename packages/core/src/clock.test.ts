import { describe, expect, it } from 'vitest';
import { createClock } from './clock.ts';
import { isRhizomeError } from './errors.ts';

/** A wall clock the test moves by hand. */
function fakeWall(start: number) {
  let now = start;
  return {
    read: () => now,
    set(value: number) {
      now = value;
    },
  };
}

describe('createClock', () => {
  it('follows the wall clock while it moves forward', () => {
    const wall = fakeWall(1000);
    const clock = createClock({ wallClock: wall.read });
    expect(clock.now()).toBe(1000);
    wall.set(1500);
    expect(clock.now()).toBe(1500);
    expect(clock.last()).toBe(1500);
  });

  it('never issues the same value twice, even within one millisecond', () => {
    const clock = createClock({ wallClock: () => 1000 });
    const issued = Array.from({ length: 5 }, () => clock.now());
    expect(issued).toEqual([1000, 1001, 1002, 1003, 1004]);
  });

  it('never goes backwards when the wall clock does', () => {
    const wall = fakeWall(5000);
    const clock = createClock({ wallClock: wall.read });
    expect(clock.now()).toBe(5000);
    wall.set(3000);
    expect(clock.now()).toBe(5001);
    wall.set(6000);
    expect(clock.now()).toBe(6000);
  });

  it('floors a fractional wall clock (performance-style timers) to integer milliseconds', () => {
    const clock = createClock({ wallClock: () => 1234.9 });
    expect(clock.now()).toBe(1234);
    expect(Number.isInteger(clock.now())).toBe(true);
  });

  it('moves past an observed peer timestamp that is ahead', () => {
    const wall = fakeWall(1000);
    const clock = createClock({ wallClock: wall.read });
    clock.observe(2000);
    expect(clock.last()).toBe(2000);
    expect(clock.now()).toBe(2001);
    wall.set(2500);
    expect(clock.now()).toBe(2500);
  });

  it('ignores observed timestamps it is already past', () => {
    const clock = createClock({ wallClock: () => 1000 });
    clock.now();
    clock.observe(500);
    clock.observe(1000);
    expect(clock.now()).toBe(1001);
  });

  it('throws CLOCK_DRIFT for a peer timestamp too far ahead, and does not move', () => {
    const clock = createClock({ wallClock: () => 1000, maxDriftMs: 100 });
    clock.observe(1100); // exactly at the limit: accepted
    expect(clock.last()).toBe(1100);
    try {
      clock.observe(1201);
      expect.unreachable();
    } catch (error) {
      expect(isRhizomeError(error, 'CLOCK_DRIFT')).toBe(true);
      expect((error as { details: unknown }).details).toEqual({ timeCreated: 1201, wall: 1000, maxDriftMs: 100 });
    }
    expect(clock.last()).toBe(1100);
    expect(clock.now()).toBe(1101);
  });

  it('allows a day of drift by default', () => {
    const clock = createClock({ wallClock: () => 0 });
    clock.observe(86_400_000);
    expect(() => clock.observe(86_400_001)).toThrow(/ahead of the wall clock/);
  });

  it('starts after `after`, e.g. the newest delta in storage', () => {
    const clock = createClock({ wallClock: () => 1000, after: 4000 });
    expect(clock.last()).toBe(4000);
    expect(clock.now()).toBe(4001);
  });

  it('is strictly increasing over any mix of wall-clock jumps and observations', () => {
    const wall = fakeWall(10_000);
    const clock = createClock({ wallClock: wall.read });
    let previous = Number.NEGATIVE_INFINITY;
    for (let step = 0; step < 500; step++) {
      wall.set(10_000 + ((step * 7919) % 300) - 150);
      if (step % 5 === 0) clock.observe(10_000 + ((step * 104_729) % 400));
      const time = clock.now();
      expect(time).toBeGreaterThan(previous);
      expect(time).toBeGreaterThanOrEqual(clock.last());
      previous = time;
    }
  });

  it('stays on integers when given fractional timestamps', () => {
    const clock = createClock({ wallClock: () => 1000, after: 1500.5 });
    expect(clock.now()).toBe(1501);
    clock.observe(2000.5);
    expect(clock.now()).toBe(2001);
  });

  it('rejects NaN instead of being poisoned by it', () => {
    const clock = createClock({ wallClock: () => 1000 });
    expect(() => clock.observe(Number.NaN)).toThrow(expect.objectContaining({ code: 'DELTA_INVALID' }));
    expect(clock.now()).toBe(1000);
  });

  it('uses Date.now by default', () => {
    const before = Date.now();
    const time = createClock().now();
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });
});
