import { Vocabulary, type Delta } from '@rhizome/core';
import type { DeltaStore } from '@rhizome/storage';
import {
  assertQueryFitsSchema,
  assertValidQuery,
  inspectEntity,
  matchesWhere,
  pageAfterId,
  selectSortedPage,
  sortKeysOf,
  type EntityInspection,
  type ReadOptions,
  type Schema,
  type SortEntry,
} from '@rhizome/views';
import { ApiErrorCode, createApiError } from './errors.ts';
import type { EntityCache } from './entity-cache.ts';
import { nestingDepth } from './nesting.ts';
import type {
  EntityPageJson,
  EntityViewJson,
  HyperviewJson,
  ListViewsInput,
  QueryInput,
  ReadOptionsJson,
} from './node-types.ts';
import type { SchemaRegistry } from './schema-registry.ts';
import { createVerifiedCheck, readOptionsOf, type TrustContext } from './trust-filter.ts';

/** The view with the entity id first; the id wins over a property that happens to be called `id`. */
export function withId(entityId: string, view: unknown): EntityViewJson {
  return Object.assign({ id: entityId }, view as Readonly<Record<string, unknown>>, {
    id: entityId,
  });
}

export interface NodeReads {
  getDelta(id: string): Promise<Delta>;
  hyperview(
    entityId: string,
    read?: ReadOptionsJson & { readonly verification?: boolean },
  ): Promise<HyperviewJson>;
  view(
    entityId: string,
    read?: ReadOptionsJson & { readonly schema?: string },
  ): Promise<EntityViewJson>;
  listViews(input?: ListViewsInput): Promise<EntityPageJson>;
  query(input: QueryInput): Promise<EntityPageJson>;
  inspect(
    entityId: string,
    read?: ReadOptionsJson & { readonly schema?: string },
  ): Promise<EntityInspection>;
  referencesTo(entityId: string): Promise<Delta[]>;
  /** The schema by name, or SCHEMA_NOT_FOUND. */
  requireSchema(name: string): Schema;
  /** How many reference hops a view under the schema may expand (0 without one). */
  depthOf(schema: Schema | undefined): number;
  /** The view of a resident entity now (no await: call right after the cache made it resident). */
  resolveResident(
    entityId: string,
    schema: Schema | undefined,
    read?: ReadOptionsJson,
  ): EntityViewJson;
  checkLimit(limit: number | undefined): void;
}

/** Candidate entities are taken from storage this many at a time while filling a page. */
const SCAN_CHUNK = 200;

/**
 * Every read the node serves, answered from the entity cache: make what the read needs resident
 * (one closure query per batch of misses), then resolve in the cache's view store with no await
 * in between, so that an eviction cannot run between the two.
 */
export function createNodeReads(
  store: DeltaStore,
  cache: EntityCache,
  schemas: SchemaRegistry,
  maxPageSize: number,
  limits: { readonly maxSortedCandidates?: number } = {},
  trust: TrustContext = { adminKeys: new Set(), creatorDeltas: () => [] },
): NodeReads {
  const sortLimit = limits.maxSortedCandidates ?? 10_000;
  const requireSchema = (name: string): Schema => {
    const schema = schemas.get(name);
    if (schema === undefined) {
      throw createApiError(ApiErrorCode.SchemaNotFound, `no schema named "${name}"`, {
        details: { name },
      });
    }
    return schema;
  };
  const depthOf = (schema: Schema | undefined): number => nestingDepth(schema, schemas.get);
  // asOf and trust become the views library's read options here, and only here.
  const readOf = (read: ReadOptionsJson) => readOptionsOf(read, trust);

  const hasVisibleDelta = (entityId: string, options: ReadOptions): boolean =>
    cache.views.hyperview(entityId, options).properties.size > 0;

  // Takes read options made once per read, so that every entity of a page is judged by the same
  // creator keys.
  const resolveWith = (
    entityId: string,
    schema: Schema | undefined,
    options: ReadOptions,
  ): EntityViewJson => {
    const views = cache.views;
    const view =
      schema === undefined
        ? views.view(entityId, options)
        : views.resolve(schema, entityId, options);
    return withId(entityId, view);
  };
  const resolveResident = (
    entityId: string,
    schema: Schema | undefined,
    read: ReadOptionsJson = {},
  ): EntityViewJson => resolveWith(entityId, schema, readOf(read));

  const checkLimit = (limit: number | undefined): void => {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize)) {
      throw createApiError(
        ApiErrorCode.InvalidRequest,
        `limit must be an integer from 1 to ${maxPageSize}`,
        { details: { limit, max: maxPageSize } },
      );
    }
  };

  // Makes the entities resident (with what their nested views reach) and calls `visit` on each
  // while it is: whole batches at once when nothing nests, one by one when something does.
  const forEachResident = async (
    ids: readonly string[],
    depth: number,
    visit: (entityId: string) => boolean,
  ): Promise<void> => {
    if (depth === 0) {
      await cache.ensure(ids);
      for (const id of ids) if (!visit(id)) return;
      return;
    }
    for (const id of ids) {
      await cache.ensureNested(id, depth);
      if (!visit(id)) return;
    }
  };

  // Pages through store entity ids (by `list`), keeping those `accept` takes, until `limit`.
  const scan = async (
    list: (
      after: string | undefined,
      limit: number,
    ) => Promise<{
      entities: readonly string[];
      cursor: string | null;
    }>,
    cursor: string | undefined,
    limit: number,
    depth: number,
    accept: (entityId: string) => EntityViewJson | undefined,
  ): Promise<EntityPageJson> => {
    const entities: EntityViewJson[] = [];
    let after = cursor;
    for (;;) {
      const page = await list(after, SCAN_CHUNK);
      let last: string | undefined;
      await forEachResident(page.entities, depth, (id) => {
        last = id;
        const view = accept(id);
        if (view !== undefined) entities.push(view);
        return entities.length < limit;
      });
      const more = last !== page.entities.at(-1) || page.cursor !== null;
      if (entities.length >= limit) return { entities, cursor: more ? last! : null };
      if (page.cursor === null) return { entities, cursor: null };
      after = page.cursor;
    }
  };

  return {
    requireSchema,
    depthOf,
    resolveResident,
    checkLimit,
    async getDelta(id) {
      const delta = cache.views.get(id) ?? (await store.get([id]))[0];
      if (delta === undefined)
        throw createApiError(ApiErrorCode.DeltaNotFound, `no delta with id "${id}"`, {
          details: { id },
        });
      return delta;
    },
    async hyperview(entityId, read = {}) {
      const options = readOf(read);
      await cache.ensure([entityId]);
      const hyperview = cache.views.hyperview(entityId, options);
      const properties = Object.fromEntries(hyperview.properties);
      if (read.verification !== true) return { id: entityId, properties };
      const isVerified = createVerifiedCheck(trust);
      const verified = new Set<string>();
      for (const deltas of hyperview.properties.values())
        for (const delta of deltas) if (isVerified(delta)) verified.add(delta.id);
      return { id: entityId, properties, verified: [...verified].sort() };
    },
    async view(entityId, read = {}) {
      // The schema is looked up first: an unknown schema is the caller's mistake whatever the entity.
      const schema = read.schema === undefined ? undefined : requireSchema(read.schema);
      const options = readOf(read);
      await cache.ensureNested(entityId, depthOf(schema));
      if (!hasVisibleDelta(entityId, options)) {
        throw createApiError(
          ApiErrorCode.EntityNotFound,
          `entity "${entityId}" has no visible delta`,
          { details: { id: entityId } },
        );
      }
      return resolveWith(entityId, schema, options);
    },
    async listViews(input = {}) {
      checkLimit(input.limit);
      const read = readOf(input);
      // The store lists every referenced id; those with no visible delta (only negated ones, or
      // none yet at asOf) are skipped, so a page may take several store pages to fill.
      return scan(
        (after, limit) =>
          store.entities({
            limit,
            ...(input.prefix === undefined ? {} : { prefix: input.prefix }),
            ...(after === undefined ? {} : { after }),
          }),
        input.cursor,
        input.limit ?? 100,
        0,
        (id) => (hasVisibleDelta(id, read) ? resolveWith(id, undefined, read) : undefined),
      );
    },
    async query(input) {
      checkLimit(input.limit);
      const schema = requireSchema(input.schema);
      assertValidQuery({ ...input, limit: input.limit ?? 100 });
      assertQueryFitsSchema(schema, input);
      const read = readOf(input);
      // As the views library's query: candidates hold a stored delta under one of the schema's
      // properties (any property for a schema resolved by an entity resolver, which reads them
      // all), and one of those must be visible in the read.
      const properties =
        schema.entityResolver === undefined ? Object.keys(schema.properties) : undefined;
      const depth = depthOf(schema);
      const list = (after: string | undefined, limit: number) =>
        store.entities({
          limit,
          ...(properties === undefined ? {} : { properties }),
          ...(after === undefined ? {} : { after }),
        });
      const matching = (id: string): Readonly<Record<string, unknown>> | undefined => {
        const visible = cache.views.hyperview(id, read).properties;
        const candidate =
          properties === undefined
            ? visible.size > 0
            : properties.some((property) => visible.has(property));
        if (!candidate) return undefined;
        const view = cache.views.resolve(schema, id, read) as Readonly<Record<string, unknown>>;
        return input.where === undefined || matchesWhere(view, input.where) ? view : undefined;
      };
      const limit = input.limit ?? 100;
      if (properties !== undefined && properties.length === 0)
        return input.count === true
          ? { entities: [], cursor: null, total: 0 }
          : { entities: [], cursor: null };
      if (input.orderBy === undefined && input.count !== true) {
        return scan(list, input.cursor, limit, depth, (id) => {
          const view = matching(id);
          return view === undefined ? undefined : withId(id, view);
        });
      }
      // A sort or a count needs every match: the ids (with their sort keys) are collected over
      // the whole scan, bounded for sorts, then the page's views are resolved again.
      const orderBy = input.orderBy ?? [];
      const entries: SortEntry[] = [];
      let scanned = 0;
      for (let after: string | undefined; ;) {
        const page = await list(after, SCAN_CHUNK);
        scanned += page.entities.length;
        if (input.orderBy !== undefined && scanned > sortLimit) {
          throw createApiError(
            ApiErrorCode.QueryTooBroad,
            `a sorted query may scan at most ${sortLimit} candidate entities; narrow the schema or drop orderBy`,
            { details: { maxSortedCandidates: sortLimit } },
          );
        }
        await forEachResident(page.entities, depth, (id) => {
          const view = matching(id);
          if (view !== undefined) entries.push({ id, keys: sortKeysOf(view, orderBy) });
          return true;
        });
        if (page.cursor === null) break;
        after = page.cursor;
      }
      const total = entries.length;
      const selected =
        input.orderBy === undefined
          ? pageAfterId(entries, input.cursor, limit)
          : selectSortedPage(entries, orderBy, input.cursor, limit);
      const views = new Map<string, EntityViewJson>();
      await forEachResident(selected.ids, depth, (id) => {
        views.set(id, resolveWith(id, schema, read));
        return true;
      });
      const entities = selected.ids.map((id) => views.get(id)!);
      const cursor = selected.nextCursor ?? null;
      return input.count === true ? { entities, cursor, total } : { entities, cursor };
    },
    async referencesTo(entityId) {
      const found = new Map<string, Delta>();
      for (const row of await store.hyperview(entityId)) {
        if (row.property !== null || row.localContext === Vocabulary.negates) continue;
        if (row.localContext === Vocabulary.transaction) continue;
        found.set(row.delta.id, row.delta);
      }
      return [...found.values()];
    },
    async inspect(entityId, read = {}) {
      const schema = read.schema === undefined ? undefined : requireSchema(read.schema);
      await cache.ensureNested(entityId, depthOf(schema));
      return inspectEntity(cache.views.closure(entityId), entityId, {
        ...(schema === undefined ? {} : { schema }),
        ...(read.asOf === undefined ? {} : { asOf: read.asOf }),
      });
    },
  };
}
