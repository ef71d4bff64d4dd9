/**
 * Range fingerprints over a sorted snapshot of delta ids, for set reconciliation.
 *
 * Delta ids are SHA-256 in base64url, so their leading characters are already uniform random
 * bits: each id contributes two 30-bit lanes read straight from its first 10 characters, and a
 * range's fingerprint is the lane-wise sum (mod 2^32), 64 bits, compared together with the count. Sums, unlike XOR, are not
 * linear over GF(2), so a peer cannot cheaply craft a different set with the same fingerprint by
 * Gaussian elimination. Prefix sums make any range's fingerprint O(1).
 */
const LANES = 2;
const CHARS_PER_LANE = 5;

const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Int8Array(128).fill(0);
for (let i = 0; i < DIGITS.length; i++) VALUE[DIGITS.charCodeAt(i)] = i;

export interface IdSnapshot {
  /** Ids, ascending. */
  readonly ids: readonly string[];
  /** Fingerprint of ids[start..end). */
  fingerprint(start: number, end: number): string;
}

/** The id's value in `lane` (0 or 1): 30 bits read from its leading characters. */
export function laneValue(id: string, lane: number): number {
  let value = 0;
  for (let c = 0; c < CHARS_PER_LANE; c++) {
    value = value * 64 + (VALUE[id.charCodeAt(lane * CHARS_PER_LANE + c) & 127] ?? 0);
  }
  return value;
}

/** The fingerprint text of two lane sums (each mod 2^32). */
export function encodeFingerprint(lane0: number, lane1: number): string {
  return encodeLane(lane0 >>> 0) + encodeLane(lane1 >>> 0);
}

export function createIdSnapshot(sortedIds: readonly string[]): IdSnapshot {
  const n = sortedIds.length;
  const prefix = new Uint32Array((n + 1) * LANES);
  for (let k = 0; k < n; k++) {
    const id = sortedIds[k]!;
    for (let lane = 0; lane < LANES; lane++) {
      prefix[(k + 1) * LANES + lane] = (prefix[k * LANES + lane]! + laneValue(id, lane)) >>> 0;
    }
  }
  return {
    ids: sortedIds,
    fingerprint(start, end) {
      return encodeFingerprint(
        prefix[end * LANES]! - prefix[start * LANES]!,
        prefix[end * LANES + 1]! - prefix[start * LANES + 1]!,
      );
    },
  };
}

// Six base64url digits per 32-bit lane: fixed width, so fingerprints compare as strings.
function encodeLane(value: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < 6; i++) {
    out = DIGITS[rest & 63]! + out;
    rest = Math.floor(rest / 64);
  }
  return out;
}
