import type { Clock, Delta, KeyInput, PropertyValue } from '@rhizome/core';
import type { DeltaStore, StoredDelta } from '@rhizome/storage';
import type {
  EntityInspection,
  InvalidateTarget,
  Resolver,
  SchemaJson,
  OrderBy,
  Where,
} from '@rhizome/views';
import type { Principal } from './principal.ts';
import type { NodeValidation } from './node-validate.ts';
import type { EntityCacheStats } from './entity-cache.ts';
import type { SignaturePolicy } from './verify-signatures.ts';
import type { TrustJson } from './trust-filter.ts';

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
  /**
   * With `verification: true`: the ids of the listed deltas whose signature verifies by a
   * currently valid key of their creator (or an admin key), sorted.
   */
  readonly verified?: readonly string[];
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
  /** A query with `count: true`: how many entities match in all. */
  readonly total?: number;
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
  /** The entity cache: what is resident, its estimated size against the budget, hits and misses. */
  readonly cache: EntityCacheStats;
}

export interface ReadOptionsJson {
  readonly asOf?: number;
  /** Only deltas the reader trusts exist for the read (see `TrustJson`). */
  readonly trust?: TrustJson;
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
  /** Sort keys in priority order, ties by entity id; the cursor is then a keyset position. */
  readonly orderBy?: readonly OrderBy[];
  /** Also return `total`, the number of matching entities in all. */
  readonly count?: boolean;
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * The service behind every transport (tRPC, REST, later the CLI and sync): storage is the truth,
 * entity views are read through a bounded cache of entity closures loaded from storage on a miss and kept in step by every append (this node's and, on a shared database, other processes'). Knows nothing of HTTP.
 */
export interface RhizomeNode extends NodeValidation {
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
   * were new. `json`, the JSON text of each delta as core's `createDeltaWithJson` gave it, spares
   * the store encoding them again.
   */
  replicate(
    deltas: readonly Delta[],
    json?: readonly string[],
  ): Promise<{ readonly inserted: readonly string[] }>;
  /** The node's clock: sync folds peers' timestamps into it so local writes order after them. */
  readonly clock: Clock;
  /** Negates a delta; another creator's delta needs the `admin` scope. */
  negate(deltaId: string, principal: Principal): Promise<WriteResult>;
  /** A stored delta by id, from the cache or storage; DELTA_NOT_FOUND when unknown. */
  getDelta(id: string): Promise<Delta>;
  listDeltas(options?: { readonly after?: string; readonly limit?: number }): Promise<DeltaPage>;
  hyperview(
    entityId: string,
    options?: ReadOptionsJson & { readonly verification?: boolean },
  ): Promise<HyperviewJson>;
  /** The resolved view (under a schema by name, or schemaless); ENTITY_NOT_FOUND without a visible delta. */
  view(
    entityId: string,
    options?: ReadOptionsJson & { readonly schema?: string },
  ): Promise<EntityViewJson>;
  query(input: QueryInput): Promise<EntityPageJson>;
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
  ): Promise<EntityInspection>;
  /**
   * Stored deltas (visible or not) with a data pointer at the entity that has no targetContext:
   * references to it from other entities' properties, which its own hyperview does not list.
   */
  referencesTo(entityId: string): Promise<Delta[]>;
  /**
   * The entity's view now, then each time it changes. Slow consumers see only the latest view.
   * With `trust`, the view is resolved again after every write batch (a revoked key or a trusted
   * creator's older delta changes it while the untrusted view stays put), so such a subscription
   * counts against `maxQuerySubscriptions`.
   */
  watchEntity(
    entityId: string,
    options: { readonly schema?: string; readonly trust?: TrustJson },
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
   * repeat: how a consumer resumes after a disconnect. Without it, from now on. A consumer that
   * is already `streamBufferSize` deltas behind when the next write's deltas arrive is dropped
   * (SUBSCRIBER_TOO_SLOW, `onDropped`); one that had kept up takes a larger write whole.
   */
  streamDeltas(options?: StreamDeltasOptions, signal?: AbortSignal): AsyncGenerator<StoredDelta>;
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

export interface StreamDeltasOptions {
  /** Resume after this sequence number: the stored deltas after it first, then live. */
  readonly after?: number;
  /**
   * Hears that the subscriber was dropped for falling more than `streamBufferSize` deltas behind,
   * the moment it happens. A transport whose writes are stuck on a reader that stopped reading
   * never asks the stream for more, so it would not see the error otherwise: it should end the
   * connection here.
   */
  readonly onDropped?: (error: unknown) => void;
}

export interface CreateNodeOptions {
  readonly store: DeltaStore;
  /** Stamped as `host` on deltas this node creates. */
  readonly nodeId: string;
  readonly clock?: Clock;
  /**
   * Deltas a raw-stream subscriber may be behind when a write's deltas arrive before it is dropped
   * (default 1,000). It holds at most this minus one plus one delivery's deltas (references to the
   * entries every subscriber shares).
   */
  readonly streamBufferSize?: number;
  /** Largest page of GET /api/deltas and queries (default 1,000). */
  readonly maxPageSize?: number;
  /**
   * Candidate entities a sorted query (`orderBy`) may scan at most (default 10,000); past it the
   * query fails with QUERY_TOO_BROAD. The node sorts in memory until the indexed query path lands.
   */
  readonly maxSortedCandidates?: number;
  /** Candidate entities one `listInvalid` page checks at most (default 10,000); see `NodeValidation`. */
  readonly maxValidationScan?: number;
  /**
   * Open query subscriptions at most (default 100), trust-filtered entity subscriptions included:
   * each costs a query or a resolution per write batch.
   */
  readonly maxQuerySubscriptions?: number;
  /** Custom property resolvers that schemas may name (`"resolver": { "custom": "<name>" }`). */
  readonly resolvers?: Readonly<Record<string, Resolver>>;
  /** Estimated bytes of entity closures the node keeps in memory (default 256 MiB). */
  readonly cacheBytes?: number;
  /** Entities held resident by live entity subscriptions at most (default 100,000). */
  readonly maxWatchedEntities?: number;
  /** An error in the background (a failed cache load while ingesting appended deltas). */
  readonly onError?: (error: unknown) => void;
  /**
   * Which unsigned deltas the node accepts, from writers and peers alike (default `off`); a
   * signature that does not verify is refused whatever this says. See `SignaturePolicy`.
   */
  readonly requireSignatures?: SignaturePolicy;
  /** Trust roots: public keys that may list and revoke any creator's keys (`_creator:<id>`). */
  readonly adminKeys?: Iterable<KeyInput>;
}
