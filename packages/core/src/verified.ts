import type { Delta } from './types.ts';

/*
 * Marks the deltas this package validated and froze (plain data objects, frozen all the way
 * down) and whose id it computed or checked: what parseDelta returns and the builder makes.
 * Parsing one again needs no work.
 *
 * The mark is a property under a symbol of this module's own, not enumerable: spreading, JSON,
 * structuredClone and equality checks leave it out, so a copy of a delta is never taken for
 * checked. It is a shortcut for code in the same process, which could bypass the store anyway,
 * not a security boundary. (A WeakSet did the same job, but a million entries in it made every
 * full garbage collection walk a million ephemerons.)
 */
const VERIFIED = Symbol('rhizome.verified');

/** Marks a delta (not yet frozen) whose id is known to match its content. */
export function markVerified<T extends Delta>(delta: T): T {
  Object.defineProperty(delta, VERIFIED, { value: true });
  return delta;
}

export function isVerifiedDelta(value: unknown): value is Delta {
  return typeof value === 'object' && value !== null && (value as { [VERIFIED]?: true })[VERIFIED] === true;
}
