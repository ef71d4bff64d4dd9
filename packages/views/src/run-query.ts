import type { Delta } from '@rhizome/core';
import type { DeltaIndex } from './delta-index.ts';
import { matchesWhere } from './match-where.ts';
import { assertQueryFitsSchema, sortedAfter, type Page, type QueryOptions } from './query.ts';
import { pageAfterId, selectSortedPage, sortKeysOf, type SortEntry } from './query-order.ts';
import type { Schema } from './schema.ts';
import type { ReadOptions } from './types.ts';
import { createVisibility } from './visibility.ts';

/** Resolves one entity's view under the schema for the read (the store's `resolve`). */
export type ViewReader = (
  schema: Schema,
  entityId: string,
  read: ReadOptions,
) => Readonly<Record<string, unknown>>;

/** Whether the list holds a delta `keep` accepts (any delta when `keep` is undefined). */
function someKept(
  deltas: readonly Delta[] | undefined,
  keep: ((delta: Delta) => boolean) | undefined,
): boolean {
  if (deltas === undefined || deltas.length === 0) return false;
  if (keep === undefined) return true;
  for (let i = 0; i < deltas.length; i++) if (keep(deltas[i]!)) return true;
  return false;
}

/**
 * `query`'s page: the entities with at least one visible delta (in this read) under one of the
 * schema's properties, in cursor order, whose view satisfies `where`. An entity whose deltas are
 * all hidden (negated, in a pending transaction, after `asOf`, filtered out) is not listed, even
 * when its empty view would satisfy `where`. A schema resolved by an entity resolver (a plugin
 * pipeline) declares no properties but reads them all, so there every entity with a visible delta
 * under any property is a candidate, and `where` names the resolver's output properties. With
 * `orderBy` or `count` every candidate is evaluated (docs/semantics.md, section 10).
 */
export function runQuery(
  index: DeltaIndex,
  schema: Schema,
  options: QueryOptions,
  readView: ViewReader,
): Page {
  const limit = options.limit ?? 100;
  assertQueryFitsSchema(schema, options);
  // undefined: every property (an entity resolver reads them all).
  const properties =
    schema.entityResolver === undefined ? Object.keys(schema.properties) : undefined;
  const candidates = new Set<string>();
  if (properties === undefined) for (const entityId of index.entityIds()) candidates.add(entityId);
  else {
    for (const property of properties) {
      for (const entityId of index.entitiesWithProperty(property)) candidates.add(entityId);
    }
  }
  const read: ReadOptions = {
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    ...(options.filter === undefined ? {} : { filter: options.filter }),
  };
  const visibility = createVisibility(index, read);
  // A plain entity (no negation target, no transaction member) has every delta that exists
  // visible, and with no `asOf` or filter every stored delta exists: the hyperview's fast path.
  const hasVisibleDelta = (entityId: string): boolean => {
    const stored = index.entityProperties(entityId);
    if (stored === undefined) return false;
    const plain = index.isEntityPlain(entityId);
    const keep = !plain
      ? visibility.isVisible
      : visibility.isUnrestricted
        ? undefined
        : visibility.exists;
    if (properties === undefined) {
      for (const deltas of stored.values()) if (someKept(deltas, keep)) return true;
      return false;
    }
    for (let i = 0; i < properties.length; i++)
      if (someKept(stored.get(properties[i]!), keep)) return true;
    return false;
  };
  const matches = (entityId: string): Readonly<Record<string, unknown>> | undefined => {
    if (!hasVisibleDelta(entityId)) return undefined;
    const view = readView(schema, entityId, read);
    return options.where === undefined || matchesWhere(view, options.where) ? view : undefined;
  };
  if (options.orderBy !== undefined || options.count === true) {
    // Every candidate is evaluated: a sort or a count needs them all.
    const orderBy = options.orderBy ?? [];
    const entries: SortEntry[] = [];
    for (const entityId of sortedAfter(candidates, undefined)) {
      const view = matches(entityId);
      if (view !== undefined) entries.push({ id: entityId, keys: sortKeysOf(view, orderBy) });
    }
    const total = entries.length;
    const page =
      options.orderBy !== undefined
        ? selectSortedPage(entries, orderBy, options.cursor, limit)
        : pageAfterId(entries, options.cursor, limit);
    return options.count === true ? { ...page, total } : page;
  }
  const sorted = sortedAfter(candidates, options.cursor);
  const ids: string[] = [];
  for (const entityId of sorted) {
    if (matches(entityId) === undefined) continue;
    ids.push(entityId);
    if (ids.length === limit) break;
  }
  const last = ids[ids.length - 1];
  return ids.length === limit && last !== undefined && last !== sorted[sorted.length - 1]
    ? { ids, nextCursor: last }
    : { ids };
}
