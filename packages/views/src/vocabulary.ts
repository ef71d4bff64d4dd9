import { Vocabulary, type Pointer } from '@rhizome/core';

/**
 * Pointers with these localContexts carry machinery (negation, transactions), never data: they
 * put nothing in a hyperview and are never part of a value.
 */
export function isReservedPointer(pointer: Pointer): boolean {
  return pointer.localContext === Vocabulary.negates || pointer.localContext === Vocabulary.transaction;
}
