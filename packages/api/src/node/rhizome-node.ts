import {
  createClock,
  createDeltaBuilder,
  Vocabulary,
  type Clock,
  type Delta,
  type PropertyValue,
} from '@rhizome/core';
import { StorageLimits, replayStore, type DeltaStore, type StoredDelta } from '@rhizome/storage';
import {
  createViewStore,
  inspectEntity,
  parseSchema,
  type EntityInspection,
  serializeSchema,
  type InvalidateTarget,
  type Resolver,
  type SchemaJson,
  type Where,
} from '@rhizome/views';
import { ApiErrorCode, createApiError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { authorizeWrites } from './authorize-writes.ts';
import { createAsyncQueue, type AsyncQueue } from './async-queue.ts';
import { completeDelta } from './complete-delta.ts';
import { createSchemaRegistry, SCHEMA_PROPERTY, schemaEntityId } from './schema-registry.ts';

export type WriteStatus = 'stored' | 'duplicate';

export interface WriteResult {
  readonly id: string;
  readonly status: WriteStatus;
}

/** An entity view on the wire: its id and its resolved properties. */
export type EntityViewJson = { readonly id: string } & Readonly<Record<string, unknown>>;

export interface HyperviewJson {
  readonly id: string;
  readonly properties: Readonly<Record<string, readonly Delta[]>>;
}

export interface DeltaPage {
  readonly deltas: readonly Delta[];
  /** Pass as `after` to continue. */
  readonly cursor: string;
  readonly hasMore: boolean;
}

export interface EntityPageJson {
  readonly entities: readonly EntityViewJson[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly cursor: string | null;
}

export interface NodeStatus {
  readonly nodeId: string;
  readonly deltas: number;
  readonly entities: number;
  readonly lastSeq: number;
  readonly subscriptions: number;
}

/** Counters for /metrics. */
export interface NodeStats {
  readonly deltasStored: number;
  readonly deltasDuplicate: number;
  readonly writeBatches: number;
  readonly subscriptions: number;
  readonly deltasInViews: number;
  readonly subscribersDropped: number;
}

export interface ReadOptionsJson {
  readonly asOf?: number;
}

export interface ListViewsInput extends ReadOptionsJson {
  /** Only entity ids starting with this. */
  readonly prefix?: string;
  readonly limit?: number;
  /** The previous page's `cursor`. */
  readonly cursor?: string;
}

export interface QueryInput extends ReadOptionsJson {
  readonly schema: string;
  readonly where?: Where;
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * The service behind every transport (tRPC, REST, later the CLI and sync): storage is the truth,
 * the view store is rebuilt from it at start and kept in step by every write. Knows nothing of HTTP.
 */
export interface RhizomeNode {
  readonly nodeId: string;
  /** Validate every input (nothing is stored when one fails), store the batch durably and atomically, then update views and subscribers. */
  write(
    inputs: readonly unknown[],
    principal: Principal,
    options?: { readonly batch?: boolean },
  ): Promise<WriteResult[]>;
  /** One delta setting `properties` of `entityId`, as the caller. */
  putProperties(
    entityId: string,
    properties: Readonly<Record<string, PropertyValue>>,
    principal: Principal,
  ): Promise<WriteResult>;
  /**
   * Deltas another node made, as sync hands them over: already validated (content id, limits) and
   * taken as they are, whoever created them. Stored through the same group commit as local writes,
   * so views, subscribers and the store's feed see them in one order. Resolves to the ids that
   * were new.
   */
  replicate(deltas: readonly Delta[]): Promise<{ readonly inserted: readonly string[] }>;
  /** The node's clock: sync folds peers' timestamps into it so local writes order after them. */
  readonly clock: Clock;
  /** Negates a delta; another creator's delta needs the `admin` scope. */
  negate(deltaId: string, principal: Principal): Promise<WriteResult>;
  getDelta(id: string): Delta;
  listDeltas(options?: { readonly after?: string; readonly limit?: number }): Promise<DeltaPage>;
  hyperview(entityId: string, options?: ReadOptionsJson): HyperviewJson;
  /** The resolved view (under a schema by name, or schemaless); ENTITY_NOT_FOUND without a visible delta. */
  view(entityId: string, options?: ReadOptionsJson & { readonly schema?: string }): EntityViewJson;
  query(input: QueryInput): EntityPageJson;
  /**
   * Every entity with a visible delta (at `asOf`), schemaless views (last-write-wins), in
   * entity-id order, paged.
   */
  listViews(input?: ListViewsInput): Promise<EntityPageJson>;
  putSchema(
    name: string,
    json: unknown,
    principal: Principal,
  ): Promise<{ id: string; schema: SchemaJson }>;
  getSchema(name: string): SchemaJson;
  listSchemas(): SchemaJson[];
  /** Referenced entity ids in code-unit order, paged (`cursor` null on the last page). */
  listEntities(options?: {
    readonly prefix?: string;
    readonly after?: string;
    readonly limit?: number;
  }): Promise<{ entities: readonly string[]; cursor: string | null }>;
  /** Every stored delta of the entity, classified for the read, and each resolver's choice (`inspectEntity`). */
  inspect(
    entityId: string,
    options?: ReadOptionsJson & { readonly schema?: string },
  ): EntityInspection;
  /**
   * Stored deltas (visible or not) with a data pointer at the entity that has no targetContext:
   * references to it from other entities' properties, which its own hyperview does not list.
   */
  referencesTo(entityId: string): Promise<Delta[]>;
  /** The entity's view now, then each time it changes. Slow consumers see only the latest view. */
  watchEntity(
    entityId: string,
    options: { readonly schema?: string },
    signal?: AbortSignal,
  ): AsyncGenerator<EntityViewJson>;
  /**
   * The query's first page now, then again whenever a write changes it (ids or views). Slow
   * consumers see only the latest page. Re-runs the query after each write batch, so the number
   * of open query subscriptions is capped (`maxQuerySubscriptions`).
   */
  watchQuery(input: QueryInput, signal?: AbortSignal): AsyncGenerator<EntityPageJson>;
  /** Every delta newly stored from now on. A consumer too far behind is dropped (SUBSCRIBER_TOO_SLOW). */
  watchDeltas(signal?: AbortSignal): AsyncGenerator<Delta>;
  /**
   * The raw stream with each delta's local sequence number. With `after` (a seq this stream, or
   * `listDeltas`' cursor, gave), first every delta stored after it, then live, with no gap and no
   * repeat: how a consumer resumes after a disconnect. Without it, from now on. A consumer more
   * than `streamBufferSize` deltas behind the live stream is dropped (SUBSCRIBER_TOO_SLOW).
   */
  streamDeltas(
    options?: { readonly after?: number },
    signal?: AbortSignal,
  ): AsyncGenerator<StoredDelta>;
  status(): Promise<NodeStatus>;
  stats(): NodeStats;
  /**
   * Drops the cached views that `target` (a schema, a custom resolver, or a name) produced, so
   * they are resolved again; subscribers whose view changes hear of it. For plugin hot reloads.
   */
  invalidateViews(target: InvalidateTarget): void;
  /** False once closing has begun. */
  readonly accepting: boolean;
  /** Stops taking writes, waits for those in flight, ends subscriptions, closes the store. */
  close(): Promise<void>;
}

export interface CreateNodeOptions {
  readonly store: DeltaStore;
  /** Stamped as `host` on deltas this node creates. */
  readonly nodeId: string;
  readonly clock?: Clock;
  /** Buffered deltas per raw-stream subscriber before it is dropped (default 1,000). */
  readonly streamBufferSize?: number;
  /** Largest page of GET /api/deltas and queries (default 1,000). */
  readonly maxPageSize?: number;
  /** Open query subscriptions at most (default 100): each costs a query per write batch. */
  readonly maxQuerySubscriptions?: number;
  /** Custom property resolvers that schemas may name (`"resolver": { "custom": "<name>" }`). */
  readonly resolvers?: Readonly<Record<string, Resolver>>;
}

/** The view with the entity id first; the id wins over a property that happens to be called `id`. */
interface PendingWrite {
  readonly deltas: readonly Delta[];
  readonly resolve: (results: WriteResult[]) => void;
  readonly reject: (error: unknown) => void;
}

function withId(entityId: string, view: unknown): EntityViewJson {
  return Object.assign({ id: entityId }, view as Readonly<Record<string, unknown>>, {
    id: entityId,
  });
}

/** Opens a node over a store: replays every stored delta into a fresh view store first. */
export async function createRhizomeNode(options: CreateNodeOptions): Promise<RhizomeNode> {
  const { store, nodeId } = options;
  const views = createViewStore();
  // What the store reports it appended, with seqs: this node's writes, and, on a database shared
  // with other server processes (PostgreSQL), theirs too. Listened to before the replay, so that
  // nothing appended meanwhile is missed (a delta both replayed and reported is ingested once).
  const appended: StoredDelta[] = [];
  // While this node stores a group (or replays), reports wait for it in `appended`.
  let storing = true;
  let deliverAppended: (changed?: boolean) => void = () => {};
  const detachAppended = store.onAppend((entries) => {
    for (const entry of entries) appended.push(entry);
    if (!storing) deliverAppended();
  });
  let newest = 0;
  await replayStore(store, (entries) => {
    for (const entry of entries)
      if (entry.delta.timeCreated > newest) newest = entry.delta.timeCreated;
    views.ingestMany(entries.map((entry) => entry.delta));
  });
  const clock = options.clock ?? createClock({ after: newest });
  const parseOptions = { resolvers: options.resolvers ?? {} };
  const schemas = createSchemaRegistry(views, parseOptions);
  const streamBufferSize = options.streamBufferSize ?? 1000;
  const maxPageSize = options.maxPageSize ?? 1000;

  const maxQuerySubscriptions = options.maxQuerySubscriptions ?? 100;
  const deltaListeners = new Set<AsyncQueue<StoredDelta>>();
  const afterWriteListeners = new Set<() => void>();
  // Appended entries reach views, then the raw stream, then query watchers. Entries another
  // process appended are ingested here; this node's own were ingested by its write already.
  deliverAppended = (changed = false) => {
    const entries = appended.splice(0);
    let added = 0;
    if (entries.length > 0) {
      added = views.ingestMany(entries.map((entry) => entry.delta));
      for (const entry of entries) for (const queue of deltaListeners) queue.push(entry);
    }
    if (changed || added > 0) for (const listener of afterWriteListeners) listener();
  };
  storing = false;
  deliverAppended(); // what was reported during the replay
  const openQueues = new Set<AsyncQueue<unknown>>();
  let accepting = true;
  let closing: Promise<void> | undefined;
  // Group commit. Writes are stored one group at a time (views and subscribers then see deltas in
  // storage order); every write that arrives while a group is being stored joins the next group,
  // which goes to storage as one atomic append — one transaction and one durable flush for many
  // requests. Results are computed as if the writes had run one after another.
  const pendingWrites: PendingWrite[] = [];
  let flushing: Promise<void> | undefined;
  const stats = { deltasStored: 0, deltasDuplicate: 0, writeBatches: 0, subscribersDropped: 0 };

  const assertAccepting = (): void => {
    if (!accepting) throw createApiError(ApiErrorCode.NodeUnavailable, 'the node is shutting down');
  };

  // Every caller's write passes here: the policy holds whatever route the deltas came by. Most
  // writes are decided at once; a negation of a stored delta waits for its creator from storage,
  // and the node may have begun closing meanwhile.
  const lookupDeltas = async (ids: readonly string[]): Promise<Delta[]> => {
    const found: Delta[] = [];
    for (let i = 0; i < ids.length; i += StorageLimits.maxIdsPerCall)
      found.push(...(await store.get(ids.slice(i, i + StorageLimits.maxIdsPerCall))));
    return found;
  };
  const authorizedCommit = async (
    deltas: readonly Delta[],
    principal: Principal,
  ): Promise<WriteResult[]> => {
    const pending = authorizeWrites(deltas, principal, lookupDeltas);
    if (pending !== undefined) {
      await pending;
      assertAccepting();
    }
    return commit(deltas);
  };

  const takeGroup = (): PendingWrite[] => {
    const group: PendingWrite[] = [];
    let size = 0;
    while (pendingWrites.length > 0) {
      const next = pendingWrites[0]!;
      if (group.length > 0 && size + next.deltas.length > StorageLimits.maxBatchSize) break;
      group.push(pendingWrites.shift()!);
      size += next.deltas.length;
    }
    return group;
  };

  const storeGroup = async (group: readonly PendingWrite[]): Promise<void> => {
    storing = true;
    try {
      const result = await store.append(group.flatMap((write) => write.deltas));
      const inserted = new Set(result.inserted);
      const claimed = new Set<string>();
      const fresh: Delta[] = [];
      const results = group.map((write) =>
        write.deltas.map((delta): WriteResult => {
          const stored = inserted.has(delta.id) && !claimed.has(delta.id);
          claimed.add(delta.id);
          if (stored) {
            fresh.push(delta);
            stats.deltasStored++;
          } else stats.deltasDuplicate++;
          return { id: delta.id, status: stored ? 'stored' : 'duplicate' };
        }),
      );
      views.ingestMany(fresh);
      storing = false;
      deliverAppended(fresh.length > 0);
      stats.writeBatches++;
      group.forEach((write, i) => write.resolve(results[i]!));
    } catch (error) {
      storing = false;
      deliverAppended();
      for (const write of group) write.reject(error);
    }
  };

  const flushWrites = async (): Promise<void> => {
    // Let requests already waiting on the sockets be read first. On PGlite, whose statements run
    // on this thread, the first write would otherwise always go alone and no group ever form.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (pendingWrites.length > 0) await storeGroup(takeGroup());
    flushing = undefined;
  };

  const commit = (deltas: readonly Delta[]): Promise<WriteResult[]> =>
    new Promise<WriteResult[]>((resolve, reject) => {
      pendingWrites.push({ deltas, resolve, reject });
      flushing ??= flushWrites();
    });

  const builderFor = (principal: Principal) =>
    createDeltaBuilder({ creator: principal.creator, host: nodeId, clock });

  const register = <T>(queue: AsyncQueue<T>): (() => void) => {
    openQueues.add(queue as AsyncQueue<unknown>);
    return () => openQueues.delete(queue as AsyncQueue<unknown>);
  };

  const hasVisibleDelta = (entityId: string, asOf: number | undefined): boolean =>
    views.hyperview(entityId, asOf === undefined ? {} : { asOf }).properties.size > 0;

  const requireSchema = (name: string) => {
    const schema = schemas.get(name);
    if (schema === undefined) {
      throw createApiError(ApiErrorCode.SchemaNotFound, `no schema named "${name}"`, {
        details: { name },
      });
    }
    return schema;
  };

  // Every watcher of one entity under one schema is handed the same view object by the view
  // store, so a write frames it once for all of them rather than once per watcher.
  const framed = new WeakMap<object, EntityViewJson>();
  const framedView = (entityId: string, view: unknown): EntityViewJson => {
    if (typeof view !== 'object' || view === null) return withId(entityId, view);
    const hit = framed.get(view);
    if (hit !== undefined && hit.id === entityId) return hit;
    const json = Object.freeze(withId(entityId, view));
    framed.set(view, json);
    return json;
  };

  // Watchers hear after the write has answered: a push wakes the watcher's stream, whose
  // serialisation and socket write would otherwise all run, one per watcher, as microtasks ahead
  // of the write's own response. Views are states, so a watcher only needs its newest one.
  const undelivered = new Map<AsyncQueue<EntityViewJson>, EntityViewJson>();
  let deliveryScheduled = false;
  const deliverViews = (): void => {
    deliveryScheduled = false;
    const due = [...undelivered];
    undelivered.clear();
    for (const [queue, view] of due) queue.push(view);
  };
  const scheduleView = (queue: AsyncQueue<EntityViewJson>, view: EntityViewJson): void => {
    undelivered.set(queue, view);
    if (deliveryScheduled) return;
    deliveryScheduled = true;
    setTimeout(deliverViews, 0);
  };

  const resolveView = (
    entityId: string,
    schemaName: string | undefined,
    asOf: number | undefined,
  ): EntityViewJson => {
    const read = asOf === undefined ? {} : { asOf };
    const view =
      schemaName === undefined
        ? views.view(entityId, read)
        : views.resolve(requireSchema(schemaName), entityId, read);
    return withId(entityId, view);
  };

  const checkLimit = (limit: number | undefined): void => {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize)) {
      throw createApiError(
        ApiErrorCode.InvalidRequest,
        `limit must be an integer from 1 to ${maxPageSize}`,
        {
          details: { limit, max: maxPageSize },
        },
      );
    }
  };

  const node: RhizomeNode = {
    nodeId,
    get accepting() {
      return accepting;
    },
    async write(inputs, principal, writeOptions = {}) {
      assertAccepting();
      const batch = writeOptions.batch ?? inputs.length !== 1;
      const deltas = inputs.map((input, i) =>
        completeDelta(input, batch ? i : undefined, { principal, host: nodeId, clock }),
      );
      return authorizedCommit(deltas, principal);
    },
    clock,
    async replicate(deltas) {
      assertAccepting();
      const results = await commit(deltas);
      return {
        inserted: results.filter((result) => result.status === 'stored').map((result) => result.id),
      };
    },
    async putProperties(entityId, properties, principal) {
      assertAccepting();
      const delta = builderFor(principal).set(entityId, properties).build();
      const [result] = await authorizedCommit([delta], principal);
      return result!;
    },
    async negate(deltaId, principal) {
      assertAccepting();
      node.getDelta(deltaId); // DELTA_NOT_FOUND first: negating nothing is the caller's mistake
      const negation = builderFor(principal).negate(deltaId).build();
      const [result] = await authorizedCommit([negation], principal);
      return result!;
    },
    getDelta(id) {
      const delta = views.get(id);
      if (delta === undefined)
        throw createApiError(ApiErrorCode.DeltaNotFound, `no delta with id "${id}"`, {
          details: { id },
        });
      return delta;
    },
    async listDeltas(listOptions = {}) {
      checkLimit(listOptions.limit);
      const after = listOptions.after === undefined ? 0 : Number(listOptions.after);
      if (!/^\d+$/.test(listOptions.after ?? '0') || !Number.isSafeInteger(after)) {
        throw createApiError(
          ApiErrorCode.InvalidRequest,
          'after must be a cursor returned by this endpoint',
          {
            details: { after: listOptions.after },
          },
        );
      }
      const page = await store.changes({ after, limit: listOptions.limit ?? 100 });
      return {
        deltas: page.entries.map((entry) => entry.delta),
        cursor: String(page.cursor),
        hasMore: page.hasMore,
      };
    },
    hyperview(entityId, read = {}) {
      const hyperview = views.hyperview(
        entityId,
        read.asOf === undefined ? {} : { asOf: read.asOf },
      );
      return { id: entityId, properties: Object.fromEntries(hyperview.properties) };
    },
    view(entityId, read = {}) {
      // The schema is looked up first: an unknown schema is the caller's mistake whatever the entity.
      if (read.schema !== undefined) requireSchema(read.schema);
      if (!hasVisibleDelta(entityId, read.asOf)) {
        throw createApiError(
          ApiErrorCode.EntityNotFound,
          `entity "${entityId}" has no visible delta`,
          { details: { id: entityId } },
        );
      }
      return resolveView(entityId, read.schema, read.asOf);
    },
    async listViews(input = {}) {
      checkLimit(input.limit);
      const limit = input.limit ?? 100;
      const entities: EntityViewJson[] = [];
      let after = input.cursor;
      // The store lists every referenced id; those with no visible delta (only negated ones, or
      // none yet at asOf) are skipped, so a page may take several store pages to fill.
      for (;;) {
        const page = await store.entities({
          limit: limit - entities.length,
          ...(input.prefix === undefined ? {} : { prefix: input.prefix }),
          ...(after === undefined ? {} : { after }),
        });
        for (const id of page.entities)
          if (hasVisibleDelta(id, input.asOf))
            entities.push(resolveView(id, undefined, input.asOf));
        after = page.cursor ?? undefined;
        if (after === undefined) return { entities, cursor: null };
        if (entities.length >= limit) return { entities, cursor: after };
      }
    },
    query(input) {
      checkLimit(input.limit);
      const schema = requireSchema(input.schema);
      const read = input.asOf === undefined ? {} : { asOf: input.asOf };
      const page = views.query(schema, {
        ...read,
        limit: input.limit ?? 100,
        ...(input.where === undefined ? {} : { where: input.where }),
        ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
      });
      return {
        entities: page.ids.map((id) => resolveView(id, input.schema, input.asOf)),
        cursor: page.nextCursor ?? null,
      };
    },
    async putSchema(name, json, principal) {
      assertAccepting();
      const body =
        typeof json === 'object' && json !== null && !Array.isArray(json)
          ? { name, ...json }
          : json;
      const schema = parseSchema(body, parseOptions);
      if (schema.name !== name) {
        throw createApiError(
          ApiErrorCode.InvalidRequest,
          `the schema is named "${schema.name}" but was sent to "${name}"`,
          {
            details: { name, bodyName: schema.name },
          },
        );
      }
      const serialized = serializeSchema(schema);
      const delta = builderFor(principal)
        .set(schemaEntityId(name), { [SCHEMA_PROPERTY]: JSON.stringify(serialized) })
        .build();
      const [result] = await authorizedCommit([delta], principal);
      return { id: result!.id, schema: serialized };
    },
    getSchema(name) {
      return serializeSchema(requireSchema(name));
    },
    listSchemas() {
      return schemas.list();
    },
    async listEntities(listOptions = {}) {
      checkLimit(listOptions.limit);
      return store.entities({ ...listOptions, limit: listOptions.limit ?? 100 });
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
    inspect(entityId, read = {}) {
      const schema = read.schema === undefined ? undefined : requireSchema(read.schema);
      return inspectEntity(views.closure(entityId), entityId, {
        ...(schema === undefined ? {} : { schema }),
        ...(read.asOf === undefined ? {} : { asOf: read.asOf }),
      });
    },
    async *watchEntity(entityId, watchOptions, signal) {
      assertAccepting();
      const schema =
        watchOptions.schema === undefined ? undefined : requireSchema(watchOptions.schema);
      // Views are states: a consumer that falls behind only needs the newest one.
      const queue = createAsyncQueue<EntityViewJson>({ capacity: 1, overflow: 'latest' });
      const unregister = register(queue);
      const stop = views.subscribe(
        entityId,
        (view) => scheduleView(queue, framedView(entityId, view)),
        schema === undefined ? {} : { schema },
      );
      try {
        yield resolveView(entityId, watchOptions.schema, undefined);
        for (;;) {
          const next = await queue.next(signal);
          if (next.done) return;
          yield next.value;
        }
      } finally {
        stop();
        undelivered.delete(queue);
        unregister();
      }
    },
    async *watchQuery(input, signal) {
      assertAccepting();
      if (afterWriteListeners.size >= maxQuerySubscriptions) {
        throw createApiError(
          ApiErrorCode.TooManySubscriptions,
          `this node serves at most ${maxQuerySubscriptions} query subscriptions`,
          {
            details: { limit: maxQuerySubscriptions },
          },
        );
      }
      let page = node.query(input);
      let last = JSON.stringify(page);
      const queue = createAsyncQueue<EntityPageJson>({ capacity: 1, overflow: 'latest' });
      const unregister = register(queue);
      const listener = (): void => {
        try {
          const next = node.query(input);
          const key = JSON.stringify(next);
          if (key === last) return;
          last = key;
          queue.push(next);
        } catch (error) {
          queue.close(error); // e.g. its schema became invalid: end this subscription, not the write
        }
      };
      afterWriteListeners.add(listener);
      try {
        yield page;
        for (;;) {
          const next = await queue.next(signal);
          if (next.done) return;
          page = next.value;
          yield page;
        }
      } finally {
        afterWriteListeners.delete(listener);
        unregister();
      }
    },
    async *watchDeltas(signal) {
      for await (const entry of node.streamDeltas({}, signal)) yield entry.delta;
    },
    async *streamDeltas(streamOptions = {}, signal) {
      assertAccepting();
      const queue = createAsyncQueue<StoredDelta>({
        capacity: streamBufferSize,
        overflow: 'fail',
      });
      const unregister = register(queue);
      let last = streamOptions.after;
      try {
        if (last === undefined) deltaListeners.add(queue);
        else {
          // Catch up from the store, join the live stream, then read the store once more: a
          // delta stored between the two is in that second read or in the queue (or both, and
          // the seq check below drops the repeat), so nothing is lost or sent twice.
          for (const join of [false, true]) {
            if (join) deltaListeners.add(queue);
            for (;;) {
              const page = await store.changes({
                after: last,
                limit: StorageLimits.defaultPageSize,
              });
              for (const entry of page.entries) {
                if (signal?.aborted === true) return;
                last = entry.seq;
                yield entry;
              }
              if (!page.hasMore) break;
            }
          }
        }
        for (;;) {
          const next = await queue.next(signal);
          if (next.done) return;
          if (last !== undefined && next.value.seq <= last) continue;
          last = next.value.seq;
          yield next.value;
        }
      } catch (error) {
        stats.subscribersDropped++;
        throw error;
      } finally {
        deltaListeners.delete(queue);
        unregister();
      }
    },
    async status() {
      const counts = await store.counts();
      return {
        nodeId,
        deltas: counts.deltas,
        entities: counts.entities,
        lastSeq: counts.lastSeq,
        subscriptions: openQueues.size,
      };
    },
    invalidateViews(target) {
      views.invalidate(target);
    },
    stats() {
      return { ...stats, subscriptions: openQueues.size, deltasInViews: views.size };
    },
    close() {
      closing ??= (async () => {
        accepting = false;
        await flushing;
        deliverViews(); // the last writes' views, before the streams end
        for (const queue of openQueues) queue.close();
        detachAppended();
        await store.close();
      })();
      return closing;
    },
  };
  return node;
}
