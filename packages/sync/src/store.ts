import type { Delta, DeltaId } from '@rhizome/core';

/** One entry of a store's changes feed: the `seq`-th delta this store appended. */
export interface FeedEntry {
  readonly seq: number;
  readonly delta: Delta;
  /** Node id of the peer the delta arrived from; absent for local writes. Used to avoid echo. */
  readonly origin?: string;
}

/**
 * How far this node has pulled a peer's feed. Valid only while the peer's feed id, and the filter
 * this node asks for on the link, are unchanged.
 */
export interface PeerCursor {
  readonly feedId: string;
  readonly seq: number;
  /** Key of the link filter the cursor was reached under (`computeFilterKey`); absent for none. */
  readonly filter?: string;
}

export interface AppendOptions {
  /** The peer the deltas came from (recorded on their feed entries). */
  readonly origin?: string;
  /**
   * The JSON text of each delta, as decoding made it (core's `createDeltaWithJson`): a store that
   * writes JSON takes it instead of encoding the deltas again.
   */
  readonly json?: readonly string[];
}

/**
 * The narrow storage contract sync needs. Every delta handed to `appendBatch` has been validated.
 *
 * - Sequence numbers are positive and strictly increasing in append order (gaps allowed); a delta
 *   already held takes none.
 * - `feedId` names the numbering: a store whose numbering restarts (wiped, restored from another
 *   node's backup) must report a new feed id, so peers' cursors into it stop matching.
 * - An append is durable before its promise resolves and before `onAppend` listeners run: a
 *   peer may stream a new entry at once, and must never see an entry that a crash could undo.
 */
export interface SyncStore {
  feedId(): Promise<string>;
  /** The highest sequence number (0 when empty). */
  head(): Promise<number>;
  /** Stores the deltas not yet held, atomically (all or none), and returns the new ids in order. */
  appendBatch(deltas: readonly Delta[], options?: AppendOptions): Promise<readonly DeltaId[]>;
  /** Feed entries with `seq` greater than `after`, ascending, at most `limit`. */
  changesSince(after: number, limit: number): Promise<readonly FeedEntry[]>;
  /** The deltas held among `ids` (missing ones are left out), in any order. */
  getMany(ids: readonly DeltaId[]): Promise<readonly Delta[]>;
  /** Ids held, sorted ascending by code unit, with `lower <= id < upper` (bounds optional). */
  listIds(lower?: string, upper?: string): Promise<readonly DeltaId[]>;
  /**
   * Ids held `> after` (from the start when undefined), ascending, at most `limit`. With it,
   * reconciliation keeps a summary per block of ids and reads ids as it needs them; without it,
   * it reads every id into memory for the conversation.
   */
  scanIds?(after: string | undefined, limit: number): Promise<readonly DeltaId[]>;
  /**
   * Ids of the deltas held that negate any of `ids`. Needed only to serve peers that pull with a
   * filter; a store without it refuses such links.
   */
  negationsOf?(ids: readonly DeltaId[]): Promise<readonly DeltaId[]>;
  getCursor(peer: string): Promise<PeerCursor | undefined>;
  setCursor(peer: string, cursor: PeerCursor): Promise<void>;
  /** Called after every append that stored something; returns an unsubscribe function. */
  onAppend(listener: (entries: readonly FeedEntry[]) => void): () => void;
}
