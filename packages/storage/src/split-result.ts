import type { DeltaId } from '@rhizome/core';
import type { AppendResult } from './types.ts';

/** Splits the caller's input into new and already-present ids, keeping input order. */
export function splitResult(
  input: readonly unknown[],
  inserted: ReadonlySet<DeltaId>,
): AppendResult {
  const insertedIds: DeltaId[] = [];
  const duplicates: DeltaId[] = [];
  const reported = new Set<DeltaId>();
  for (const value of input) {
    const id = (value as { id: DeltaId }).id;
    if (inserted.has(id) && !reported.has(id)) {
      insertedIds.push(id);
      reported.add(id);
    } else {
      duplicates.push(id);
    }
  }
  return { inserted: insertedIds, duplicates };
}
