import { computeDeltaId } from './id.ts';
import { freezeDelta, parseDeltaContent } from './parse.ts';
import type { Delta, DeltaContent } from './types.ts';

/** Validates content, computes its content id and returns the frozen delta. */
export function createDelta(content: DeltaContent): Delta {
  const valid = parseDeltaContent(content);
  return freezeDelta({ id: computeDeltaId(valid), ...valid });
}
