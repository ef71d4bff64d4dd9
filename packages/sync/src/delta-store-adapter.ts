import type { Delta, DeltaId } from '@rhizome/core';
import { listNegatedIds } from './filter.ts';
import { createRealScheduler, type Scheduler } from './scheduler.ts';
import { findLowerBound } from './sorted.ts';
import type { FeedEntry, PeerCursor, SyncStore } from './store.ts';

/**
 * The part of `@rhizome/storage`'s `DeltaStore` this adapter uses, stated structurally so the
 * sync package needs no dependency on storage to offer it.
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
  /** Deltas pointing at the given ids, transitively (negations among them); enables filtered links. */
  closure?(entityIds: readonly string[]): Promise<Delta[]>;
}

/** Where peer cursors live when the delta store cannot keep them. */
export interface CursorStore {
  get(peer: string): Promise<PeerCursor | undefined>;
  set(peer: string, cursor: PeerCursor): Promise<void>;
}

export interface DeltaStoreAdapterOptions {
  /**
   * Identity of the store's sequence numbering. The DeltaStore contract has none, so the caller
   * supplies one that is stable for the life of the data and new whenever the data is wiped or
   * restored from elsewhere.
   */
  readonly feedId: string;
  /** Durable cursor storage. Defaults to memory: after a restart the node reconciles instead of resuming. */
  readonly cursors?: CursorStore;
  /**
   * The contract has no append notification, so writes made straight to the DeltaStore (by the
   * API, say) are found by polling its head this often. Appends through the adapter notify at once.
   */
  readonly pollIntervalMs?: number;
  readonly scheduler?: Scheduler;
  /** Origins remembered for echo suppression (the contract cannot store them); oldest dropped first. */
  readonly maxRememberedOrigins?: number;
}

export interface DeltaStoreSyncStore extends SyncStore {
  /** Stops polling. */
  stop(): void;
}

const PAGE = 10_000;

/**
 * Serves a `@rhizome/storage` DeltaStore to sync. What the contract lacks is made up here, at a
 * cost: feed identity comes from the caller, cursors from `cursors`, origins are remembered in
 * memory (bounded), new local writes are found by polling, sorted id listings come from an
 * in-memory copy of every id, built by reading the whole feed once, and negations by target (for
 * filtered links) from `closure`, which returns more than is needed.
 */
export function createSyncStoreFromDeltaStore(store: DeltaStoreLike, options: DeltaStoreAdapterOptions): DeltaStoreSyncStore {
  const scheduler = options.scheduler ?? createRealScheduler();
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const maxOrigins = options.maxRememberedOrigins ?? 100_000;
  const memoryCursors = new Map<string, PeerCursor>();
  const cursors: CursorStore = options.cursors ?? {
    get: async (peer) => memoryCursors.get(peer),
    set: async (peer, cursor) => {
      memoryCursors.set(peer, cursor);
    },
  };
  const origins = new Map<DeltaId, string>();
  const listeners = new Set<(entries: readonly FeedEntry[]) => void>();
  let notifiedUpTo = 0;
  // Everything stored before the adapter existed is old news; start notifying after it.
  let polling: Promise<unknown> | undefined = store.counts().then(
    (counts) => {
      notifiedUpTo = counts.lastSeq;
    },
    () => undefined,
  );
  let cancelPoll: (() => void) | undefined;
  let stopped = false;

  // Sorted ids, extended from the feed on demand.
  const ids: DeltaId[] = [];
  let idsUpTo = 0;
  let idsSorted = true;

  const withOrigin = (entry: { seq: number; delta: Delta }): FeedEntry => {
    const origin = origins.get(entry.delta.id);
    return origin === undefined ? { seq: entry.seq, delta: entry.delta } : { seq: entry.seq, delta: entry.delta, origin };
  };

  const notifyNew = async (): Promise<void> => {
    for (;;) {
      const page = await store.changes({ after: notifiedUpTo, limit: PAGE });
      if (page.entries.length === 0) return;
      notifiedUpTo = page.cursor;
      const entries = page.entries.map(withOrigin);
      for (const listener of [...listeners]) listener(entries);
      if (!page.hasMore) return;
    }
  };

  // One poll at a time; callers that arrive meanwhile wait for a fresh one.
  const poll = (): Promise<void> => {
    const run = (polling ?? Promise.resolve()).then(notifyNew);
    polling = run.catch(() => undefined);
    return run;
  };

  const schedulePoll = (): void => {
    if (stopped || listeners.size === 0 || cancelPoll !== undefined) return;
    cancelPoll = scheduler.schedule(pollIntervalMs, () => {
      cancelPoll = undefined;
      void poll()
        .catch(() => undefined)
        .finally(schedulePoll);
    });
  };

  const remember = (id: DeltaId, origin: string): void => {
    origins.set(id, origin);
    if (origins.size > maxOrigins) origins.delete(origins.keys().next().value!);
  };

  return {
    async feedId() {
      return options.feedId;
    },
    async head() {
      return (await store.counts()).lastSeq;
    },
    async appendBatch(deltas, appendOptions = {}) {
      // Origins go in first: the entries must carry them when the poll below reports them.
      if (appendOptions.origin !== undefined) for (const delta of deltas) remember(delta.id, appendOptions.origin);
      const result = await store.append(deltas);
      if (result.inserted.length > 0 && listeners.size > 0) await poll();
      return result.inserted;
    },
    async changesSince(after, limit) {
      const page = await store.changes({ after, limit });
      return page.entries.map(withOrigin);
    },
    async getMany(wanted) {
      return store.get(wanted);
    },
    async listIds(lower, upper) {
      for (;;) {
        const page = await store.changes({ after: idsUpTo, limit: PAGE });
        for (const entry of page.entries) ids.push(entry.delta.id);
        if (page.entries.length > 0) idsSorted = false;
        idsUpTo = page.cursor;
        if (!page.hasMore) break;
      }
      if (!idsSorted) {
        ids.sort();
        idsSorted = true;
      }
      const start = lower === undefined ? 0 : findLowerBound(ids, lower);
      const end = upper === undefined ? ids.length : findLowerBound(ids, upper);
      return ids.slice(start, end);
    },
    ...(store.closure === undefined
      ? {}
      : {
          async negationsOf(ids: readonly DeltaId[]) {
            // The closure also holds other deltas pointing at these ids, and negations of
            // negations; only direct negations are asked for.
            const wanted = new Set(ids);
            const closure = await store.closure!(ids);
            return closure.filter((delta) => listNegatedIds(delta).some((id) => wanted.has(id))).map((delta) => delta.id);
          },
        }),
    getCursor: (peer) => cursors.get(peer),
    setCursor: (peer, cursor) => cursors.set(peer, cursor),
    onAppend(listener) {
      listeners.add(listener);
      schedulePoll();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          cancelPoll?.();
          cancelPoll = undefined;
        }
      };
    },
    stop() {
      stopped = true;
      cancelPoll?.();
      cancelPoll = undefined;
    },
  };
}
