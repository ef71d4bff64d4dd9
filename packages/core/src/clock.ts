import { CoreErrorCode, RhizomeError } from './errors.ts';

export interface Clock {
  /** A timestamp for a new local delta: after every timestamp this clock has issued or observed. */
  now(): number;
  /**
   * Folds in a timestamp seen on a delta from a peer, so later local deltas order after it.
   * Throws CLOCK_DRIFT when it lies further ahead of the wall clock than `maxDriftMs`, so one
   * bad peer cannot drag the clock into the future.
   */
  observe(timeCreated: number): void;
  /** The last timestamp issued or observed. */
  last(): number;
}

export interface ClockOptions {
  /** Wall clock in ms; defaults to Date.now. Tests pass a fake. */
  readonly wallClock?: () => number;
  /** Start after this timestamp, e.g. the newest local delta found in storage at startup. */
  readonly after?: number;
  /** How far (ms) an observed timestamp may lead the wall clock. Default: one day. */
  readonly maxDriftMs?: number;
}

/**
 * A hybrid-logical-style millisecond clock. It follows the wall clock while that moves forward,
 * never goes backwards, never issues the same value twice and moves past anything observed. Under
 * more than 1,000 deltas per second it runs ahead of the wall clock and waits for it to catch up.
 */
export function createClock(options: ClockOptions = {}): Clock {
  const wallClock = options.wallClock ?? Date.now;
  const maxDriftMs = options.maxDriftMs ?? 86_400_000;
  // Kept an integer so that `now()` only ever issues valid (integer) timeCreated values.
  let last = options.after === undefined ? Number.NEGATIVE_INFINITY : Math.floor(options.after);

  return {
    now() {
      const wall = Math.floor(wallClock());
      last = wall > last ? wall : last + 1;
      return last;
    },
    observe(timeCreated) {
      if (Number.isNaN(timeCreated)) {
        // NaN would compare false everywhere and poison the clock for good.
        throw new RhizomeError(CoreErrorCode.DeltaInvalid, 'observed timestamp is not a number', {
          path: ['timeCreated'],
        });
      }
      if (timeCreated <= last) return;
      const wall = wallClock();
      if (timeCreated - wall > maxDriftMs) {
        throw new RhizomeError(
          CoreErrorCode.ClockDrift,
          `observed timestamp ${timeCreated} is ${timeCreated - wall} ms ahead of the wall clock (limit ${maxDriftMs} ms)`,
          { details: { timeCreated, wall, maxDriftMs } },
        );
      }
      last = Math.floor(timeCreated);
    },
    last() {
      return last;
    },
  };
}
