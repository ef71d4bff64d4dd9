import type { Delta, DeltaId } from '@rhizome/core';

/**
 * The storage contract. Every backend (in memory, PGlite, PostgreSQL) implements `DeltaStore`
 * and runs the same contract suite from @rhizome/testkit, so the server, sync and the views
 * engine can be written against this interface alone.
 */

/** A delta as this node stored it: its local sequence number and when it arrived. */
export interface StoredDelta {
  /** Local, strictly increasing, gap-tolerant sequence number; never reused. Starts above 0. */
  readonly seq: number;
  /** When this node first stored the delta (ms since epoch, the node's clock). */
  readonly receivedAt: number;
  readonly delta: Delta;
}

export interface AppendResult {
  /** Ids stored by this call, in input order. */
  readonly inserted: readonly DeltaId[];
  /** Ids that were already stored (or repeated within the batch), in input order. */
  readonly duplicates: readonly DeltaId[];
}

export interface HyperviewQuery {
  /** Only pointers whose `targetContext` is this property. */
  readonly property?: string;
  /** Only deltas with `timeCreated <= asOf`. */
  readonly asOf?: number;
}

/**
 * One pointer at the entity: a delta lists under `property` (its pointer's `targetContext`,
 * null when the pointer has none). A delta pointing at the entity twice gives two rows.
 */
export interface HyperviewRow {
  readonly property: string | null;
  readonly localContext: string;
  readonly delta: Delta;
}

export interface ClosureQuery {
  /** Ignore deltas with `timeCreated > asOf`: they neither join the closure nor extend it. */
  readonly asOf?: number;
}

export interface ChangesQuery {
  /** Return deltas with a sequence number above this cursor (0, the default, is the start). */
  readonly after?: number;
  /** At most this many entries (default 1,000). */
  readonly limit?: number;
}

export interface ChangesPage {
  /** In sequence order. */
  readonly entries: readonly StoredDelta[];
  /** Pass as `after` to continue; equals the request's `after` when nothing was new. */
  readonly cursor: number;
  /** True when more entries follow the cursor right now. */
  readonly hasMore: boolean;
}

export interface EntityQuery {
  /** Only entity ids starting with this prefix. */
  readonly prefix?: string;
  /** Only entity ids after this one (the previous page's cursor). */
  readonly after?: string;
  /** At most this many ids (default 1,000). */
  readonly limit?: number;
}

export interface EntityPage {
  /** Entity ids in code-unit order. */
  readonly entities: readonly string[];
  /** Pass as `after` for the next page; null when this was the last page. */
  readonly cursor: string | null;
}

export interface StoreCounts {
  readonly deltas: number;
  /** Distinct referenced entities (negation targets excluded, see `isEntityPointer`). */
  readonly entities: number;
  /** The highest sequence number handed out so far (0 when empty). */
  readonly lastSeq: number;
}

export interface DeltaStore {
  /**
   * Validates every input with `parseDelta` (nothing is written when one fails:
   * STORAGE_INVALID_INPUT), then stores the batch atomically and idempotently by id. When the
   * returned promise resolves, the new deltas are durable.
   */
  append(deltas: readonly unknown[]): Promise<AppendResult>;
  /** The stored deltas among `ids`, in the order asked, each once; unknown ids are left out. */
  get(ids: readonly DeltaId[]): Promise<Delta[]>;
  /** Every pointer at `entityId`, ordered by `compareDeltas` and then pointer position. */
  hyperview(entityId: string, query?: HyperviewQuery): Promise<HyperviewRow[]>;
  /**
   * Everything needed to resolve `entityIds`: the deltas pointing at them, the deltas pointing
   * at those (negations, transitively), and for every transaction any of them is part of, its
   * declaration and members (again with their negations). Ordered by `compareDeltas`.
   */
  closure(entityIds: readonly string[], query?: ClosureQuery): Promise<Delta[]>;
  /** The changes feed for sync and replay: deltas in local sequence order after a cursor. */
  changes(query?: ChangesQuery): Promise<ChangesPage>;
  /** Referenced entity ids, paged. */
  entities(query?: EntityQuery): Promise<EntityPage>;
  counts(): Promise<StoreCounts>;
  /** Releases the backend. Later calls throw STORAGE_CLOSED. Idempotent. */
  close(): Promise<void>;
}

/** Defaults and hard limits every backend applies the same way. */
export const StorageLimits = {
  /** Deltas in one `append` call. */
  maxBatchSize: 50_000,
  /** Ids in one `get` or `closure` call. */
  maxIdsPerCall: 50_000,
  defaultPageSize: 1_000,
  maxPageSize: 50_000,
} as const;
