import { isReference, Vocabulary, type Delta } from '@rhizome/core';
import type { DeltaIndex, Schema } from '@rhizome/views';

/**
 * The heap a delta costs once held, estimated from its shape: objects, strings (two bytes a
 * character) and the index entries that point at it. An estimate for the cache's budget, not a
 * measurement; docs/storage.md gives the measured ratio.
 */
export function approximateDeltaBytes(delta: Delta): number {
  let size = 160 + 2 * (delta.id.length + delta.creator.length + delta.host.length);
  for (const pointer of delta.pointers) {
    size += 96 + 2 * pointer.localContext.length + 2 * (pointer.targetContext?.length ?? 0);
    const target = pointer.target;
    if (typeof target === 'string') size += 2 * target.length;
    else if (isReference(target)) size += 40 + 2 * target.id.length;
    else size += 16;
  }
  return size;
}

/** The entities a delta names as data (reference pointers that are not negation or transaction). */
export function referencesOf(delta: Delta): string[] {
  const ids: string[] = [];
  for (const pointer of delta.pointers) {
    const machinery =
      pointer.localContext === Vocabulary.negates ||
      pointer.localContext === Vocabulary.transaction;
    if (isReference(pointer.target) && !machinery) ids.push(pointer.target.id);
  }
  return ids;
}

/**
 * The entities that deltas stored at `entityIds` name, other than those entities themselves:
 * where a nested view of them may lead. Visible or not, so a superset of what resolution follows.
 */
export function referencedEntities(index: DeltaIndex, entityIds: readonly string[]): Set<string> {
  const found = new Set<string>();
  const own = new Set(entityIds);
  for (const entityId of entityIds) {
    const properties = index.entityProperties(entityId);
    if (properties === undefined) continue;
    for (const deltas of properties.values())
      for (const delta of deltas)
        for (const id of referencesOf(delta)) if (!own.has(id)) found.add(id);
  }
  return found;
}

/**
 * How many reference hops a view under `schema` may expand, following the views engine's rule:
 * a property nests at most its `depth` (1 by default) levels, and that caps what lies below it.
 * `lookup` finds a target schema given by name; an unknown one expands nothing.
 */
export function nestingDepth(
  schema: Schema | undefined,
  lookup: (name: string) => Schema | undefined,
  budget = Number.POSITIVE_INFINITY,
): number {
  if (schema === undefined || schema.entityResolver !== undefined) return 0;
  let deepest = 0;
  for (const definition of Object.values(schema.properties)) {
    if (definition.kind !== 'reference' || definition.target === undefined) continue;
    const allowed = Math.min(budget, definition.depth ?? 1);
    if (allowed < 1) continue;
    const target =
      typeof definition.target === 'string' ? lookup(definition.target) : definition.target;
    deepest = Math.max(deepest, 1 + nestingDepth(target, lookup, allowed - 1));
  }
  return deepest;
}
