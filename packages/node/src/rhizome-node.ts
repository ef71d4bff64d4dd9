import { createClock, createDeltaBuilder, type Delta } from '@rhizome/core';
import { StorageLimits, type StoredDelta } from '@rhizome/storage';
import {
  CREATOR_ENTITY_PREFIX,
  creatorEntityId,
  parseSchema,
  serializeSchema,
} from '@rhizome/views';
import { ApiErrorCode, createApiError } from './errors.ts';
import type { Principal } from './principal.ts';
import { authorizeWrites } from './authorize-writes.ts';
import { completeDelta } from './complete-delta.ts';
import { createEntityCache } from './entity-cache.ts';
import { createGroupCommit } from './group-commit.ts';
import { createNodeReads } from './node-reads.ts';
import { createNodeValidation } from './node-validate.ts';
import { createNodeWatches } from './node-watches.ts';
import { checkSignatures, isCreatorEntity, normalizeAdminKeys } from './verify-signatures.ts';
import type { CreateNodeOptions, EntityViewJson, RhizomeNode, WriteResult } from './node-types.ts';
import {
  createSchemaRegistry,
  SCHEMA_ENTITY_PREFIX,
  SCHEMA_PROPERTY,
  schemaEntityId,
} from './schema-registry.ts';

export * from './node-types.ts';

/**
 * Opens a node over a store. Nothing is replayed: the clock resumes from the store's newest
 * timestamp, schemas are loaded from their entities, and every other entity is loaded into the
 * bounded entity cache when first read.
 */
export async function createRhizomeNode(options: CreateNodeOptions): Promise<RhizomeNode> {
  const { store, nodeId } = options;
  const onError =
    options.onError ??
    ((error: unknown) => {
      queueMicrotask(() => {
        throw error;
      });
    });
  const cache = createEntityCache({
    store,
    ...(options.cacheBytes === undefined ? {} : { maxBytes: options.cacheBytes }),
    // Schemas and creators' keys decide every read and write: keep them at hand.
    alwaysResident: (id) => id.startsWith(SCHEMA_ENTITY_PREFIX) || isCreatorEntity(id),
    onError,
  });
  const parseOptions = { resolvers: options.resolvers ?? {} };
  const schemas = createSchemaRegistry(cache, parseOptions);
  const maxPageSize = options.maxPageSize ?? 1000;
  const adminKeys = normalizeAdminKeys(options.adminKeys);
  const creatorDeltas = (creator: string) => cache.views.closure(creatorEntityId(creator));
  const reads = createNodeReads(
    store,
    cache,
    schemas,
    maxPageSize,
    { maxSortedCandidates: options.maxSortedCandidates ?? 10_000 },
    { adminKeys, creatorDeltas },
  );
  const validation = createNodeValidation({
    store,
    cache,
    requireSchema: reads.requireSchema,
    checkLimit: reads.checkLimit,
    ...(options.maxValidationScan === undefined ? {} : { maxScan: options.maxValidationScan }),
  });
  const stats = { deltasStored: 0, deltasDuplicate: 0, writeBatches: 0, subscribersDropped: 0 };

  // What the store reports it appended, with seqs, in seq order: this node's writes, and, on a
  // database shared with other server processes (PostgreSQL), theirs too. One delivery at a time
  // takes them to the cache, then the raw stream, then query watchers. Listened to before
  // anything is read, so that nothing appended meanwhile is missed.
  const appended: StoredDelta[] = [];
  let draining: Promise<void> | undefined;
  // Set once the watches exist; appends reported before that only reach the cache.
  let delivered: (entries: readonly StoredDelta[]) => void = () => {};
  const drainAll = async (): Promise<void> => {
    try {
      while (appended.length > 0) {
        const entries = appended.splice(0);
        try {
          await cache.offer(entries.map((entry) => entry.delta));
          delivered(entries);
        } catch (error) {
          onError(error);
        }
      }
    } finally {
      draining = undefined;
    }
  };
  const drain = (): Promise<void> => {
    if (draining !== undefined) return draining;
    if (appended.length === 0) return Promise.resolve();
    draining = drainAll();
    return draining;
  };
  const detachAppended = store.onAppend((entries) => {
    for (const entry of entries) appended.push(entry);
    void drain();
  });

  const counts = await store.counts();
  const clock = options.clock ?? createClock({ after: counts.newestTime });
  // Schemas and creator keys are small and always resident: load their entities now.
  for (const prefix of [SCHEMA_ENTITY_PREFIX, CREATOR_ENTITY_PREFIX]) {
    for (let after: string | undefined; ;) {
      const page = await store.entities({
        prefix,
        limit: StorageLimits.maxPageSize,
        ...(after === undefined ? {} : { after }),
      });
      await cache.ensure(page.entities);
      if (page.cursor === null) break;
      after = page.cursor;
    }
  }
  const signatureOptions = {
    policy: options.requireSignatures ?? 'off',
    adminKeys,
    creatorDeltas,
  };

  const commits = createGroupCommit(store, drain, stats);
  let accepting = true;
  let closing: Promise<void> | undefined;
  const assertAccepting = (): void => {
    if (!accepting) throw createApiError(ApiErrorCode.NodeUnavailable, 'the node is shutting down');
  };
  const watches = createNodeWatches({
    store,
    cache,
    reads,
    assertAccepting,
    streamBufferSize: options.streamBufferSize ?? 1000,
    maxQuerySubscriptions: options.maxQuerySubscriptions ?? 100,
    maxWatchedEntities: options.maxWatchedEntities ?? 100_000,
    onDropped: () => stats.subscribersDropped++,
  });
  delivered = watches.delivered;

  // Every caller's write passes here: the policies (signatures, then authorization) hold
  // whatever route the deltas came by. Most
  // writes are decided at once; a negation of a stored delta waits for its creator from storage,
  // and the node may have begun closing meanwhile.
  const lookupDeltas = async (ids: readonly string[]): Promise<Delta[]> => {
    const found: Delta[] = [];
    for (let i = 0; i < ids.length; i += StorageLimits.maxIdsPerCall)
      found.push(...(await store.get(ids.slice(i, i + StorageLimits.maxIdsPerCall))));
    return found;
  };
  const authorizedCommit = async (
    unsigned: readonly Delta[],
    principal: Principal,
    indexed: boolean,
    json?: readonly string[],
  ): Promise<WriteResult[]> => {
    const sign = principal.sign;
    const deltas =
      sign === undefined
        ? unsigned
        : unsigned.map((delta) =>
            delta.signature === undefined && delta.creator === principal.creator
              ? sign(delta)
              : delta,
          );
    // A delta the node signed here no longer matches the JSON its writer sent: the store encodes
    // the batch afresh.
    const encoded = deltas.every((delta, i) => delta === unsigned[i]) ? json : undefined;
    checkSignatures(deltas, signatureOptions, indexed);
    const pending = authorizeWrites(deltas, principal, lookupDeltas);
    if (pending !== undefined) {
      await pending;
      assertAccepting();
    }
    return commits.commit(deltas, encoded);
  };

  const builderFor = (principal: Principal) =>
    createDeltaBuilder({ creator: principal.creator, host: nodeId, clock });

  const node: RhizomeNode = {
    nodeId,
    get accepting() {
      return accepting;
    },
    async write(inputs, principal, writeOptions = {}) {
      assertAccepting();
      const batch = writeOptions.batch ?? inputs.length !== 1;
      const parsed = inputs.map((input, i) =>
        completeDelta(input, batch ? i : undefined, { principal, host: nodeId, clock }),
      );
      return authorizedCommit(
        parsed.map((entry) => entry.delta),
        principal,
        batch,
        parsed.map((entry) => entry.json),
      );
    },
    clock,
    async replicate(deltas, json) {
      assertAccepting();
      // A peer is held to the same rules as a writer: it cannot store a tampered delta, nor,
      // when signatures are required, one under a creator whose key it does not hold.
      checkSignatures(deltas, signatureOptions, true);
      const results = await commits.commit(deltas, json);
      return {
        inserted: results.filter((result) => result.status === 'stored').map((result) => result.id),
      };
    },
    async putProperties(entityId, properties, principal) {
      assertAccepting();
      const delta = builderFor(principal).set(entityId, properties).build();
      const [result] = await authorizedCommit([delta], principal, false);
      return result!;
    },
    async negate(deltaId, principal) {
      assertAccepting();
      await reads.getDelta(deltaId); // DELTA_NOT_FOUND first: negating nothing is the caller's mistake
      const negation = builderFor(principal).negate(deltaId).build();
      const [result] = await authorizedCommit([negation], principal, false);
      return result!;
    },
    getDelta: reads.getDelta,
    async listDeltas(listOptions = {}) {
      reads.checkLimit(listOptions.limit);
      const after = listOptions.after === undefined ? 0 : Number(listOptions.after);
      if (!/^\d+$/.test(listOptions.after ?? '0') || !Number.isSafeInteger(after)) {
        throw createApiError(
          ApiErrorCode.InvalidRequest,
          'after must be a cursor returned by this endpoint',
          { details: { after: listOptions.after } },
        );
      }
      const page = await store.changes({ after, limit: listOptions.limit ?? 100 });
      return {
        deltas: page.entries.map((entry) => entry.delta),
        cursor: String(page.cursor),
        hasMore: page.hasMore,
      };
    },
    hyperview: reads.hyperview,
    view: reads.view,
    listViews: reads.listViews,
    query: reads.query,
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
          { details: { name, bodyName: schema.name } },
        );
      }
      const serialized = serializeSchema(schema);
      const delta = builderFor(principal)
        .set(schemaEntityId(name), { [SCHEMA_PROPERTY]: JSON.stringify(serialized) })
        .build();
      const [result] = await authorizedCommit([delta], principal, false);
      return { id: result!.id, schema: serialized };
    },
    getSchema(name) {
      return serializeSchema(reads.requireSchema(name));
    },
    listSchemas() {
      return schemas.list();
    },
    async listEntities(listOptions = {}) {
      reads.checkLimit(listOptions.limit);
      return store.entities({ ...listOptions, limit: listOptions.limit ?? 100 });
    },
    referencesTo: reads.referencesTo,
    inspect: reads.inspect,
    validate: validation.validate,
    listInvalid: validation.listInvalid,
    watchEntity(entityId, watchOptions, signal) {
      const { trust, schema } = watchOptions;
      if (trust === undefined)
        return watches.watchEntity(entityId, schema === undefined ? {} : { schema }, signal);
      // A trusted view can change when the untrusted one does not (a key revoked, an older delta
      // by a trusted creator), so it is resolved again after every write batch.
      const resolveTrusted = async (): Promise<EntityViewJson> => {
        const resolved = schema === undefined ? undefined : reads.requireSchema(schema);
        await cache.ensureNested(entityId, reads.depthOf(resolved));
        return reads.resolveResident(entityId, resolved, { trust });
      };
      return watches.watchQuery(undefined, resolveTrusted, signal);
    },
    watchQuery: (input, signal) => watches.watchQuery(input, node.query, signal),
    async *watchDeltas(signal) {
      for await (const entry of watches.streamDeltas({}, signal)) yield entry.delta;
    },
    streamDeltas: watches.streamDeltas,
    async status() {
      const now = await store.counts();
      return {
        nodeId,
        deltas: now.deltas,
        entities: now.entities,
        lastSeq: now.lastSeq,
        subscriptions: watches.openCount(),
      };
    },
    invalidateViews(target) {
      cache.views.invalidate(target);
    },
    stats() {
      return {
        ...stats,
        subscriptions: watches.openCount(),
        deltasInViews: cache.views.size,
        cache: cache.stats(),
      };
    },
    close() {
      closing ??= (async () => {
        accepting = false;
        await commits.idle();
        await drain();
        watches.closeAll();
        detachAppended();
        await store.close();
      })();
      return closing;
    },
  };
  return node;
}
