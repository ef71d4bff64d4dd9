import type { Pointer, Primitive } from '@rhizome/core';

/** localContext of the pointer from a sequence insert to the element it follows. */
export const AFTER = 'after';

/** The entity pointer every CRDT delta carries: the delta is listed under `entity.property`. */
function subject(entity: string, property: string): Pointer {
  return { localContext: 'entity', target: { id: entity }, targetContext: property };
}

/**
 * Pointers of a sequence insert: `value` placed right after element `after` (a delta id), or at
 * the start when `after` is undefined. Feed them to a delta builder (`builder.pointer(p)`).
 */
export function sequenceInsertPointers(options: {
  readonly entity: string;
  readonly property: string;
  readonly after: string | undefined;
  readonly value: Primitive;
}): Pointer[] {
  const pointers = [
    subject(options.entity, options.property),
    { localContext: options.property, target: options.value },
  ];
  if (options.after !== undefined)
    pointers.push({ localContext: AFTER, target: { id: options.after } });
  return pointers;
}

/** Pointers of a counter change: a safe integer, positive to increment, negative to decrement. */
export function counterChangePointers(options: {
  readonly entity: string;
  readonly property: string;
  readonly amount: number;
}): Pointer[] {
  return [
    subject(options.entity, options.property),
    { localContext: options.property, target: options.amount },
  ];
}

/** Pointers of an observed-remove set add. Remove an element by negating the adds you observed. */
export function setAddPointers(options: {
  readonly entity: string;
  readonly property: string;
  readonly value: Primitive;
}): Pointer[] {
  return [
    subject(options.entity, options.property),
    { localContext: options.property, target: options.value },
  ];
}
