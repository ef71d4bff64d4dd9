import { computeDeltaId } from './id.ts';
import { freezeVerifiedDelta, parseDeltaContent } from './parse.ts';
import type { Delta, DeltaContent } from './types.ts';

/** Validates content, computes its content id and returns the frozen delta. */
export function createDelta(content: DeltaContent): Delta {
  const valid = parseDeltaContent(content);
  // The id is computed here, so it matches: parsing this delta later need not check it again.
  return freezeVerifiedDelta({ id: computeDeltaId(valid), ...valid });
}
