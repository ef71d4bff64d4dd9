import { createDeltaWithJson } from './parse.ts';
import type { Delta, DeltaContent } from './types.ts';

/** Validates content, computes its content id and returns the frozen delta. */
export function createDelta(content: DeltaContent): Delta {
  // The id is computed here, so it matches: parsing this delta later need not check it again.
  return createDeltaWithJson(content).delta;
}
