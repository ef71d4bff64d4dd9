import type { DeltaIndex } from './delta-index.ts';
import { matchesWhere, sortedAfter, type Page, type QueryOptions } from './query.ts';
import type { Schema } from './schema.ts';
import type { ReadOptions } from './types.ts';
import { createVisibility } from './visibility.ts';

/** Resolves one entity's view under the schema for the read (the store's `resolve`). */
export type ViewReader = (
  schema: Schema,
  entityId: string,
  read: ReadOptions,
) => Readonly<Record<string, unknown>>;

/**
 * `query`'s page: the entities with at least one visible delta (in this read) under one of the
 * schema's properties, in cursor order, whose view satisfies `where`. An entity whose deltas are
 * all hidden (negated, in a pending transaction, after `asOf`, filtered out) is not listed, even
 * when its empty view would satisfy `where`.
 */
export function runQuery(
  index: DeltaIndex,
  schema: Schema,
  options: QueryOptions,
  readView: ViewReader,
): Page {
  const limit = options.limit ?? 100;
  const properties = Object.keys(schema.properties);
  const candidates = new Set<string>();
  for (const property of properties) {
    for (const entityId of index.entitiesWithProperty(property)) candidates.add(entityId);
  }
  const sorted = sortedAfter(candidates, options.cursor);
  const read: ReadOptions = {
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    ...(options.filter === undefined ? {} : { filter: options.filter }),
  };
  const visibility = createVisibility(index, read);
  const hasVisibleDelta = (entityId: string): boolean => {
    const stored = index.entityProperties(entityId);
    if (stored === undefined) return false;
    for (const property of properties) {
      if (stored.get(property)?.some((delta) => visibility.isVisible(delta)) === true) return true;
    }
    return false;
  };
  const ids: string[] = [];
  for (const entityId of sorted) {
    if (!hasVisibleDelta(entityId)) continue;
    if (
      options.where !== undefined &&
      !matchesWhere(readView(schema, entityId, read), options.where)
    )
      continue;
    ids.push(entityId);
    if (ids.length === limit) break;
  }
  const last = ids[ids.length - 1];
  return ids.length === limit && last !== undefined && last !== sorted[sorted.length - 1]
    ? { ids, nextCursor: last }
    : { ids };
}
