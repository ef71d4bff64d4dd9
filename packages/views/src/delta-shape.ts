import { isReference, Vocabulary, type Delta } from '@rhizome/core';
import { isReservedPointer } from './vocabulary.ts';

/** True when the delta negates something: it has a `negates` pointer at a delta id. */
export function isNegation(delta: Delta): boolean {
  for (const pointer of delta.pointers) {
    if (pointer.localContext === Vocabulary.negates && isReference(pointer.target)) return true;
  }
  return false;
}

/** The ids of the deltas this delta negates (empty for a non-negation). */
export function negatedIdsOf(delta: Delta): string[] {
  const ids: string[] = [];
  for (const pointer of delta.pointers) {
    const target = pointer.target;
    if (pointer.localContext === Vocabulary.negates && isReference(target) && !ids.includes(target.id)) {
      ids.push(target.id);
    }
  }
  return ids;
}

/** The transactions this delta is a member of. */
export function transactionIdsOf(delta: Delta): string[] {
  const ids: string[] = [];
  for (const pointer of delta.pointers) {
    const target = pointer.target;
    if (
      pointer.localContext === Vocabulary.transaction &&
      pointer.targetContext === Vocabulary.transactionDeltas &&
      isReference(target) &&
      !ids.includes(target.id)
    ) {
      ids.push(target.id);
    }
  }
  return ids;
}

/** A transaction this delta declares, with its size, or undefined if it declares none validly. */
export interface TransactionDeclaration {
  readonly transactionId: string;
  readonly size: number;
}

/**
 * The transactions this delta declares. A declaration needs a `size` pointer holding a positive
 * integer; without one, the `_transaction`/`size` pointer declares nothing.
 */
export function transactionDeclarationsOf(delta: Delta): TransactionDeclaration[] {
  let size: number | undefined;
  for (const pointer of delta.pointers) {
    if (pointer.localContext === Vocabulary.transactionSize && typeof pointer.target === 'number') {
      size = pointer.target;
      break;
    }
  }
  const declarations: TransactionDeclaration[] = [];
  if (size === undefined || !Number.isInteger(size) || size < 1) return declarations;
  for (const pointer of delta.pointers) {
    const target = pointer.target;
    if (
      pointer.localContext === Vocabulary.transaction &&
      pointer.targetContext === Vocabulary.transactionSize &&
      isReference(target) &&
      !declarations.some((d) => d.transactionId === target.id)
    ) {
      declarations.push({ transactionId: target.id, size });
    }
  }
  return declarations;
}

/**
 * Calls `visit(entityId, property)` once per distinct (entity, property) the delta appears under
 * in hyperviews. Negations appear nowhere.
 */
export function forEachHyperviewSlot(delta: Delta, visit: (entityId: string, property: string) => void): void {
  if (isNegation(delta)) return;
  const pointers = delta.pointers;
  for (let i = 0; i < pointers.length; i++) {
    const pointer = pointers[i]!;
    const target = pointer.target;
    const property = pointer.targetContext;
    if (property === undefined || !isReference(target) || isReservedPointer(pointer)) continue;
    let seen = false;
    for (let j = 0; j < i; j++) {
      const earlier = pointers[j]!;
      if (
        earlier.targetContext === property &&
        isReference(earlier.target) &&
        earlier.target.id === target.id &&
        !isReservedPointer(earlier)
      ) {
        seen = true;
        break;
      }
    }
    if (!seen) visit(target.id, property);
  }
}
