import type { Delta, DeltaId, ParsedDelta } from '@rhizome/core';

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
  /**
   * Only entities with at least one stored pointer under one of these properties (a pointer
   * whose `targetContext` is one of them), visible or not: candidates for a schema's query.
   * At most `StorageLimits.maxPropertiesPerQuery` names.
   */
  readonly properties?: readonly string[];
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
  /**
   * The largest `timeCreated` of any stored delta (0 when empty): where a node's clock resumes
   * after a restart without reading the deltas.
   */
  readonly newestTime: number;
}

export interface IdRangeQuery {
  /** Only ids `>= lower` (code-unit order). */
  readonly lower?: string;
  /** Only ids `< upper`. */
  readonly upper?: string;
  /** At most this many ids (default 1,000, at most 50,000). */
  readonly limit?: number;
}

/**
 * How far this node has pulled a sync peer's changes feed. The same shape as @rhizome/sync's
 * `PeerCursor`: storage keeps it, sync decides what it means.
 */
export interface PeerCursor {
  /** The peer's feed id (its `feedId()`) that `seq` counts in. */
  readonly feedId: string;
  /** The peer's sequence number pulled up to. */
  readonly seq: number;
  /** Key of the link filter the cursor was reached under; absent for none. */
  readonly filter?: string;
}

/**
 * Called after an append committed, with the entries it stored, in sequence order. Never called
 * for an append that stored nothing.
 */
export type AppendListener = (entries: readonly StoredDelta[]) => void;

export interface DeltaStore {
  /**
   * Validates every input with `parseDelta` (nothing is written when one fails:
   * STORAGE_INVALID_INPUT), then stores the batch atomically and idempotently by id. When the
   * returned promise resolves, the new deltas are durable.
   */
  append(deltas: readonly unknown[]): Promise<AppendResult>;
  /**
   * `append` for deltas this process already validated, each with its JSON text (core's
   * `parseDeltaWithJson` or `createDeltaWithJson`): a delta core validated and froze is stored
   * as it is, with that text, instead of being checked and encoded again. Anything else is
   * validated as `append` validates it, with the same errors (the index in `path` is the
   * entry's). Results as `append`'s.
   */
  appendValidated(deltas: readonly ParsedDelta[]): Promise<AppendResult>;
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
  /**
   * Identity of this store's sequence numbering: a random id created with the data, kept with
   * it (stable across restarts) and new when the data is wiped or created afresh. A `seq` means
   * something only together with the feed id it was read under; sync peers keep both.
   */
  feedId(): Promise<string>;
  /**
   * Ids of the stored deltas with `lower <= id < upper`, ascending by code unit (the order of
   * `<` on strings; ids are ASCII, so byte order, `COLLATE "C"`, agrees whatever the bounds), at
   * most `limit` of them. Set reconciliation fingerprints ranges of these. To page, pass the
   * last id as `lower` and drop it.
   */
  listIds(query?: IdRangeQuery): Promise<DeltaId[]>;
  /**
   * Ids of the stored deltas that directly negate any of `ids` (a pointer with localContext
   * `Vocabulary.negates` at one of them), ascending, each once. Negations of those negations
   * are not included: ask again with the result.
   */
  negationsOf(ids: readonly DeltaId[]): Promise<DeltaId[]>;
  /** The cursor last saved for `peer`, or undefined. */
  getPeerCursor(peer: string): Promise<PeerCursor | undefined>;
  /** Saves (replaces) the cursor for `peer`; durable when the promise resolves. */
  setPeerCursor(peer: string, cursor: PeerCursor): Promise<void>;
  /** Peer addresses saved with savePeer, oldest first. */
  savedPeers(): Promise<readonly string[]>;
  /** Saves a peer address (kept across restarts); true when it was not saved yet. */
  savePeer(address: string): Promise<boolean>;
  /** Forgets a saved peer address; true when it was saved. */
  forgetPeer(address: string): Promise<boolean>;
  /**
   * Subscribes to appends made through this store object, and, where a backend follows its
   * database's feed (PostgreSQL, by default), to those other processes or store objects made on
   * the same data. For an own append the listener runs after it committed (so the entries are
   * durable) and before that append's promise resolves, with exactly the newly stored entries in
   * sequence order; an append that stored nothing (all duplicates, or rejected) does
   * not call it. Successive calls follow sequence order with no gaps: no entry shows up later
   * with a lower `seq` than one already reported. A listener that throws does not fail the
   * append (it has committed) nor stop the other listeners: its error is rethrown on a later
   * microtask, where it surfaces as an uncaught exception. Returns the unsubscribe function.
   */
  onAppend(listener: AppendListener): () => void;
  /** Releases the backend. Later calls throw STORAGE_CLOSED. Idempotent. */
  close(): Promise<void>;
}

/** Defaults and hard limits every backend applies the same way. */
export const StorageLimits = {
  /** Deltas in one `append` call. */
  maxBatchSize: 50_000,
  /** Ids in one `get`, `closure` or `negationsOf` call. */
  maxIdsPerCall: 50_000,
  defaultPageSize: 1_000,
  /** Property names in one `entities({ properties })` call. */
  maxPropertiesPerQuery: 256,
  maxPageSize: 50_000,
  /**
   * Characters in a sync peer's name. It is a primary key, and a btree entry must fit in a
   * third of a PostgreSQL page: 512 characters are at most 2 KB of UTF-8.
   */
  maxPeerNameLength: 512,
  /**
   * Characters in a saved peer address, and bytes of its UTF-8: it is a primary key too (see
   * maxPeerNameLength), and 2,048 characters of CJK would be 6 KB. An address that is a URL's
   * `href` is ASCII, where the two limits are one.
   */
  maxPeerAddressLength: 2_048,
  /** Characters in a cursor's feed id or filter key, and in a listIds bound. */
  maxCursorTextLength: 65_536,
} as const;
