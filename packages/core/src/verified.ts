import type { Delta } from './types.ts';

/*
 * The deltas this package validated and froze (plain data objects, frozen all the way down) and
 * whose id it computed or checked: what parseDelta returns and the builder makes. Parsing one
 * again needs no work. Internal on purpose (index.ts does not export this module): only code
 * that has just checked a delta may vouch for it. Weak: it keeps nothing alive.
 */
const verified = new WeakSet<object>();

/** Records a delta freezeDelta made whose id is known to match its content. */
export function markVerified(delta: Delta): Delta {
  verified.add(delta);
  return delta;
}

export function isVerifiedDelta(value: unknown): value is Delta {
  return typeof value === 'object' && value !== null && verified.has(value);
}
