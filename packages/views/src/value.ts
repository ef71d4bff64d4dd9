import { isReference, type Delta, type Primitive, type Reference } from '@rhizome/core';
import type { CompositeValue, Value } from './types.ts';
import { isReservedPointer } from './vocabulary.ts';

/**
 * Whether `pointers[i]` is one of the entity's own pointers: the first non-reserved pointer that
 * places the delta in one of the entity's slots (a reference to it with a targetContext). A later
 * pointer into the same slot, or a reference to the entity without a targetContext, is data: the
 * entity named as a value (a self-reference).
 */
function isOwnPointer(pointers: Delta['pointers'], i: number, entityId: string): boolean {
  const pointer = pointers[i]!;
  const target = pointer.target;
  const slot = pointer.targetContext;
  if (
    slot === undefined ||
    !isReference(target) ||
    target.id !== entityId ||
    isReservedPointer(pointer)
  )
    return false;
  for (let j = 0; j < i; j++) {
    const earlier = pointers[j]!;
    const earlierTarget = earlier.target;
    if (
      earlier.targetContext === slot &&
      isReference(earlierTarget) &&
      earlierTarget.id === entityId &&
      !isReservedPointer(earlier)
    ) {
      return false;
    }
  }
  return true;
}

/**
 * The value `delta` contributes to `entityId.property` (docs/semantics.md, "Value of a delta").
 * "Other" pointers are those that are neither reserved (negation, transaction) nor the entity's
 * own (`isOwnPointer`: the builder puts one pointer at the entity per property a delta sets, so
 * "the pointer at E" is in general several pointers). The value is:
 * 1. the primitive of its first pointer whose localContext is `property`;
 * 2. else the entity of its only other reference pointer with localContext `property`;
 * 3. else the entity of its only other reference pointer;
 * 4. else a composite: its other pointers by localContext.
 */
export function valueOf(delta: Delta, entityId: string, property: string): Value {
  // Indexed loops: deltas are frozen, and for-of over frozen arrays is far slower in V8.
  const pointers = delta.pointers;
  const length = pointers.length;
  let namedReference: Reference | undefined;
  let namedReferences = 0;
  for (let i = 0; i < length; i++) {
    const pointer = pointers[i]!;
    if (pointer.localContext !== property) continue;
    const target = pointer.target;
    if (!isReference(target)) return target;
    if (!isOwnPointer(pointers, i, entityId)) {
      namedReference = target;
      namedReferences++;
    }
  }
  if (namedReferences === 1 && namedReference !== undefined) return namedReference;

  let otherReference: Reference | undefined;
  let otherReferences = 0;
  for (let i = 0; i < length; i++) {
    const pointer = pointers[i]!;
    const target = pointer.target;
    if (!isReference(target) || isReservedPointer(pointer) || isOwnPointer(pointers, i, entityId))
      continue;
    otherReference = target;
    otherReferences++;
  }
  if (otherReferences === 1 && otherReference !== undefined) return otherReference;

  const composite: Record<string, Primitive | Reference | (Primitive | Reference)[]> = {};
  for (let i = 0; i < length; i++) {
    const pointer = pointers[i]!;
    const target = pointer.target;
    if (isReservedPointer(pointer) || isOwnPointer(pointers, i, entityId)) continue;
    const key = pointer.localContext;
    const existing = Object.hasOwn(composite, key) ? composite[key] : undefined;
    if (existing === undefined) {
      // defineProperty, because a localContext may be "__proto__".
      Object.defineProperty(composite, key, {
        value: target,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (Array.isArray(existing)) {
      existing.push(target);
    } else {
      composite[key] = [existing as Primitive | Reference, target];
    }
  }
  return composite as CompositeValue;
}

/** True for a reference value: an object whose only key is a string `id`. */
export function isReferenceValue(value: unknown): value is Reference {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'id' && typeof (value as Reference).id === 'string';
}

/** True for a composite value: an object that is neither an array nor a reference. */
export function isCompositeValue(value: unknown): value is CompositeValue {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !isReferenceValue(value)
  );
}

/** True when a composite holds a reference, directly or in a repeated localContext's array. */
export function hasReferenceInside(value: CompositeValue): boolean {
  for (const part of Object.values(value)) {
    if (isReferenceValue(part)) return true;
    if (Array.isArray(part) && part.some(isReferenceValue)) return true;
  }
  return false;
}

/** A string that is equal for two values iff they are the same value (used by set and majority). */
export function valueKey(value: unknown): string {
  if (value === null || typeof value !== 'object')
    return `${typeof value}:${JSON.stringify(value)}`;
  if (isReferenceValue(value)) return `ref:${value.id}`;
  return `obj:${stableStringify(value)}`;
}

/** JSON with object keys sorted, so equal values give equal strings whatever their key order. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${stableStringify(record[key])}`).join(',')}}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rank of a value's type in the total order of values (see `compareValues`). */
function typeRank(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null) return 1;
  switch (typeof value) {
    case 'boolean':
      return 2;
    case 'number':
      return 3;
    case 'string':
      return 4;
    default:
      return isReferenceValue(value) ? 5 : 6;
  }
}

/**
 * A total order on values, the same on every node (docs/semantics.md, "Resolvers"): by type, null
 * < booleans < numbers < strings < references < composites; false < true; numbers numerically
 * (NaN, which no delta can hold, first); strings and reference ids in code-unit order; composites
 * (and any other object) by their JSON with sorted keys. Returns 0 exactly when the values have
 * the same `valueKey`, so a tie left by it is a tie between equal values.
 */
export function compareValues(a: unknown, b: unknown): number {
  const rank = typeRank(a) - typeRank(b);
  if (rank !== 0) return rank;
  switch (typeof a) {
    case 'boolean':
      return Number(a) - Number(b as boolean);
    case 'number': {
      const y = b as number;
      if (Number.isNaN(a) || Number.isNaN(y))
        return Number(Number.isNaN(y)) - Number(Number.isNaN(a));
      return a < y ? -1 : a > y ? 1 : 0;
    }
    case 'string':
      return compareText(a, b as string);
    default:
      if (a === undefined || a === null) return 0;
      if (isReferenceValue(a)) return compareText(a.id, (b as Reference).id);
      return compareText(stableStringify(a), stableStringify(b));
  }
}
