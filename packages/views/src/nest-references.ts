import { isCompositeValue, isReferenceValue } from './value.ts';

/**
 * A reference property's resolved value with every reference in it replaced by `nest(id)`: the
 * value itself if it is a reference, the references inside a composite (a relation with roles or
 * data, repeated localContexts as arrays), and the same for each element of an array (set, list).
 * Everything else is kept. New arrays and objects are frozen, like the rest of a view.
 */
export function nestReferences(value: unknown, nest: (id: string) => unknown): unknown {
  const nestPart = (part: unknown): unknown => (isReferenceValue(part) ? nest(part.id) : part);
  const nestOne = (item: unknown): unknown => {
    if (isReferenceValue(item)) return nest(item.id);
    if (!isCompositeValue(item)) return item;
    const entries = Object.entries(item).map(([key, part]) => [
      key,
      Array.isArray(part) ? Object.freeze(part.map(nestPart)) : nestPart(part),
    ]);
    // fromEntries defines own properties, so a "__proto__" localContext stays data.
    return Object.freeze(Object.fromEntries(entries));
  };
  return Array.isArray(value) ? Object.freeze(value.map(nestOne)) : nestOne(value);
}
