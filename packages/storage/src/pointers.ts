import { Vocabulary, isReference, type Delta } from '@rhizome/core';

/** One reference pointer of a delta, as the pointer index stores it. */
export interface IndexedPointer {
  readonly position: number;
  readonly localContext: string;
  readonly targetId: string;
  readonly targetContext: string | null;
}

/** The reference pointers of a delta: the rows of the pointer index. Primitives are not indexed. */
export function listReferencePointers(delta: Delta): IndexedPointer[] {
  const rows: IndexedPointer[] = [];
  delta.pointers.forEach((pointer, position) => {
    if (!isReference(pointer.target)) return;
    rows.push({
      position,
      localContext: pointer.localContext,
      targetId: pointer.target.id,
      targetContext: pointer.targetContext ?? null,
    });
  });
  return rows;
}

/**
 * Whether a pointer's target counts as an entity for listing and counting. A negation points at
 * a delta id, which is not an entity anyone browses.
 */
export function isEntityPointer(pointer: Pick<IndexedPointer, 'localContext'>): boolean {
  return pointer.localContext !== Vocabulary.negates;
}

/** Ids of the transactions a delta declares or joins. */
export function listTransactionIds(delta: Delta): string[] {
  const ids: string[] = [];
  for (const pointer of delta.pointers) {
    if (pointer.localContext === Vocabulary.transaction && isReference(pointer.target))
      ids.push(pointer.target.id);
  }
  return ids;
}
