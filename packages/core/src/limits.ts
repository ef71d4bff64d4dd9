/**
 * Hard limits on a single delta, enforced by validation. They keep one delta small enough to
 * hash, index and ship in a sync batch without surprises. Documented in docs/delta-format.md.
 */
export const DeltaLimits = {
  /** Pointers in one delta. */
  maxPointers: 1024,
  /** Length (UTF-16 code units) of ids, hosts, creators, contexts and entity ids. */
  maxNameLength: 512,
  /** Length (UTF-16 code units) of a primitive string target. */
  maxStringLength: 65_536,
  /** Bytes of the canonical encoding (UTF-8) of one delta's content. */
  maxEncodedBytes: 262_144,
  /** Latest accepted `timeCreated` (the largest valid JavaScript Date). */
  maxTimeCreated: 8_640_000_000_000_000,
} as const;

export type DeltaLimits = typeof DeltaLimits;
