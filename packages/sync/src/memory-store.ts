import type { Delta, DeltaId } from '@rhizome/core';
import { listNegatedIds } from './filter.ts';
import { findLowerBound } from './sorted.ts';
import type { FeedEntry, PeerCursor, SyncStore } from './store.ts';

export interface MemorySyncStore extends SyncStore {
  /** Every delta held, in feed order (tests). */
  all(): readonly Delta[];
  has(id: DeltaId): boolean;
  /** Forgets every peer cursor, as a node restored without them would (tests). */
  clearCursors(): void;
  readonly size: number;
}

export interface MemorySyncStoreOptions {
  readonly feedId?: string;
}

let counter = 0;

/** An in-memory SyncStore for tests and tools. Keeping the object across node restarts models a durable store. */
export function createMemorySyncStore(options: MemorySyncStoreOptions = {}): MemorySyncStore {
  const feedId = options.feedId ?? `mem-${Date.now().toString(36)}-${(counter++).toString(36)}`;
  const feed: FeedEntry[] = [];
  const byId = new Map<DeltaId, Delta>();
  const cursors = new Map<string, PeerCursor>();
  const negations = new Map<DeltaId, DeltaId[]>();
  const listeners = new Set<(entries: readonly FeedEntry[]) => void>();
  // Sorted lazily: appends are frequent, range listings rare (reconciliation only).
  let sorted: DeltaId[] = [];
  let sortedValid = true;

  const sortedIds = (): DeltaId[] => {
    if (!sortedValid) {
      sorted = [...byId.keys()].sort();
      sortedValid = true;
    }
    return sorted;
  };

  return {
    async feedId() {
      return feedId;
    },
    async head() {
      return feed.length;
    },
    async appendBatch(deltas, appendOptions = {}) {
      const added: FeedEntry[] = [];
      for (const delta of deltas) {
        if (byId.has(delta.id)) continue;
        byId.set(delta.id, delta);
        for (const target of listNegatedIds(delta)) {
          const list = negations.get(target);
          if (list === undefined) negations.set(target, [delta.id]);
          else list.push(delta.id);
        }
        const entry: FeedEntry =
          appendOptions.origin === undefined
            ? { seq: feed.length + 1, delta }
            : { seq: feed.length + 1, delta, origin: appendOptions.origin };
        feed.push(entry);
        added.push(entry);
      }
      if (added.length > 0) {
        sortedValid = false;
        for (const listener of [...listeners]) listener(added);
      }
      return added.map((entry) => entry.delta.id);
    },
    async changesSince(after, limit) {
      return feed.slice(after, after + limit);
    },
    async getMany(ids) {
      const found: Delta[] = [];
      for (const id of ids) {
        const delta = byId.get(id);
        if (delta !== undefined) found.push(delta);
      }
      return found;
    },
    async listIds(lower, upper) {
      const ids = sortedIds();
      const start = lower === undefined ? 0 : findLowerBound(ids, lower);
      const end = upper === undefined ? ids.length : findLowerBound(ids, upper);
      return ids.slice(start, end);
    },
    async scanIds(after, limit) {
      const ids = sortedIds();
      let start = after === undefined ? 0 : findLowerBound(ids, after);
      if (after !== undefined && ids[start] === after) start++;
      return ids.slice(start, start + limit);
    },
    async negationsOf(ids) {
      return ids.flatMap((id) => negations.get(id) ?? []);
    },
    async getCursor(peer) {
      return cursors.get(peer);
    },
    async setCursor(peer, cursor) {
      cursors.set(peer, cursor);
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    all() {
      return feed.map((entry) => entry.delta);
    },
    has(id) {
      return byId.has(id);
    },
    clearCursors() {
      cursors.clear();
    },
    get size() {
      return feed.length;
    },
  };
}
