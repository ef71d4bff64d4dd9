import type { Delta, DeltaId } from '@rhizome/core';
import type { FeedEntry, PeerCursor, SyncStore } from './store.ts';

/**
 * The part of `@rhizome/storage`'s `DeltaStore` this adapter uses, stated structurally so the
 * sync package needs no dependency on storage to offer it. Storage's `PeerCursor` has the same
 * shape as sync's.
 */
export interface DeltaStoreLike {
  append(deltas: readonly unknown[]): Promise<{ readonly inserted: readonly DeltaId[] }>;
  get(ids: readonly DeltaId[]): Promise<Delta[]>;
  changes(query?: { readonly after?: number; readonly limit?: number }): Promise<{
    readonly entries: readonly { readonly seq: number; readonly delta: Delta }[];
    readonly cursor: number;
    readonly hasMore: boolean;
  }>;
  counts(): Promise<{ readonly lastSeq: number }>;
  feedId(): Promise<string>;
  /** Held ids in code-unit order with `lower <= id < upper`, at most `limit` (at most 50,000). */
  listIds(query?: {
    readonly lower?: string;
    readonly upper?: string;
    readonly limit?: number;
  }): Promise<readonly DeltaId[]>;
  negationsOf(ids: readonly DeltaId[]): Promise<readonly DeltaId[]>;
  getPeerCursor(peer: string): Promise<PeerCursor | undefined>;
  setPeerCursor(peer: string, cursor: PeerCursor): Promise<void>;
  /** Called after each committed append with its new entries, in seq order with no gaps. */
  onAppend(listener: (entries: readonly { readonly seq: number; readonly delta: Delta }[]) => void): () => void;
}

export interface DeltaStoreAdapterOptions {
  /**
   * Stores the deltas peers send, in place of `store.append`: a server routes them through its
   * node, which updates views and subscribers and then appends them to this same store (whose
   * `onAppend` is how the adapter learns what was stored). Resolves with the ids newly stored.
   */
  readonly append?: (deltas: readonly Delta[]) => Promise<{ readonly inserted: readonly DeltaId[] }>;
  /** Origins remembered for echo suppression (the store does not keep them); oldest dropped first. */
  readonly maxRememberedOrigins?: number;
}

export interface DeltaStoreSyncStore extends SyncStore {
  /** Stops listening to the store: no more `onAppend` calls. */
  stop(): void;
}

/** The storage contract's largest page and largest id list per call. */
const PAGE = 50_000;

/**
 * Serves a `@rhizome/storage` DeltaStore to sync. Feed id, sorted id ranges, negations, peer
 * cursors and append notifications come from the store. Only origins (which peer sent a delta,
 * so it is not echoed back) are kept here, in a bounded in-memory map: after a restart, or once
 * forgotten, a delta may be offered back to the peer it came from, which costs a duplicate.
 */
export function createSyncStoreFromDeltaStore(store: DeltaStoreLike, options: DeltaStoreAdapterOptions = {}): DeltaStoreSyncStore {
  const maxOrigins = options.maxRememberedOrigins ?? 100_000;
  const append = options.append ?? ((deltas: readonly Delta[]) => store.append(deltas));
  const origins = new Map<DeltaId, string>();
  const listeners = new Set<(entries: readonly FeedEntry[]) => void>();
  let detach: (() => void) | undefined;
  let stopped = false;

  const withOrigin = (entry: { readonly seq: number; readonly delta: Delta }): FeedEntry => {
    const origin = origins.get(entry.delta.id);
    return origin === undefined ? { seq: entry.seq, delta: entry.delta } : { seq: entry.seq, delta: entry.delta, origin };
  };

  const remember = (id: DeltaId, origin: string): void => {
    origins.set(id, origin);
    if (origins.size > maxOrigins) origins.delete(origins.keys().next().value!);
  };

  // One subscription to the store while anyone listens here.
  const attach = (): void => {
    if (stopped || detach !== undefined) return;
    detach = store.onAppend((stored) => {
      const entries = stored.map(withOrigin);
      for (const listener of [...listeners]) listener(entries);
    });
  };

  return {
    feedId: () => store.feedId(),
    async head() {
      return (await store.counts()).lastSeq;
    },
    async appendBatch(deltas, appendOptions = {}) {
      const origin = appendOptions.origin;
      if (origin === undefined) return (await append(deltas)).inserted;
      // Origins go in first: the store reports the entries before `append` resolves. A delta
      // already held keeps the origin it came with; the guesses for deltas this call did not
      // store are taken back afterwards.
      const guessed: DeltaId[] = [];
      for (const delta of deltas) {
        if (origins.has(delta.id)) continue;
        remember(delta.id, origin);
        guessed.push(delta.id);
      }
      let inserted: ReadonlySet<DeltaId> = new Set();
      try {
        const result = await append(deltas);
        inserted = new Set(result.inserted);
        return result.inserted;
      } finally {
        for (const id of guessed) if (!inserted.has(id) && origins.get(id) === origin) origins.delete(id);
      }
    },
    async changesSince(after, limit) {
      const entries: FeedEntry[] = [];
      // The store caps a page; sync may ask for more in one call.
      while (entries.length < limit) {
        const page = await store.changes({ after, limit: Math.min(PAGE, limit - entries.length) });
        for (const entry of page.entries) entries.push(withOrigin(entry));
        if (!page.hasMore || page.entries.length === 0) break;
        after = page.cursor;
      }
      return entries;
    },
    async getMany(wanted) {
      const unique = [...new Set(wanted)];
      const out: Delta[] = [];
      for (let i = 0; i < unique.length; i += PAGE) out.push(...(await store.get(unique.slice(i, i + PAGE))));
      return out;
    },
    async listIds(lower, upper) {
      const ids: DeltaId[] = [];
      let from = lower;
      let first = true;
      for (;;) {
        const page = await store.listIds({
          ...(from === undefined ? {} : { lower: from }),
          ...(upper === undefined ? {} : { upper }),
          limit: PAGE,
        });
        // After the first page, `lower` is the last id already taken: skip it.
        for (let i = first ? 0 : 1; i < page.length; i++) ids.push(page[i]!);
        if (page.length < PAGE) return ids;
        from = page[page.length - 1]!;
        first = false;
      }
    },
    async scanIds(after, limit) {
      // `lower` is inclusive: ask for one more and drop `after` itself.
      const page = await store.listIds({
        ...(after === undefined ? {} : { lower: after }),
        limit: Math.min(limit + 1, PAGE),
      });
      const ids = after !== undefined && page[0] === after ? page.slice(1) : page;
      return ids.slice(0, limit);
    },
    async negationsOf(ids) {
      const out = new Set<DeltaId>();
      for (let i = 0; i < ids.length; i += PAGE) for (const id of await store.negationsOf(ids.slice(i, i + PAGE))) out.add(id);
      return [...out];
    },
    getCursor: (peer) => store.getPeerCursor(peer),
    setCursor: (peer, cursor) => store.setPeerCursor(peer, cursor),
    onAppend(listener) {
      const entry = (entries: readonly FeedEntry[]) => listener(entries);
      listeners.add(entry);
      attach();
      return () => {
        listeners.delete(entry);
        if (listeners.size === 0) {
          detach?.();
          detach = undefined;
        }
      };
    },
    stop() {
      stopped = true;
      detach?.();
      detach = undefined;
    },
  };
}
