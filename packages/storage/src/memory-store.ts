import { Vocabulary, compareDeltas, type Delta, type DeltaId } from '@rhizome/core';
import { createAppendListeners } from './append-listeners.ts';
import { collectClosure } from './closure.ts';
import { StorageError, StorageErrorCode } from './errors.ts';
import { isEntityPointer, listReferencePointers, type IndexedPointer } from './pointers.ts';
import {
  checkAsOf,
  checkIdCount,
  checkProperties,
  resolveCursor,
  resolvePageSize,
} from './query-options.ts';
import type { DeltaStore, HyperviewRow, PeerCursor, StoredDelta } from './types.ts';
import { splitResult } from './split-result.ts';
import {
  checkIdList,
  checkPeerAddress,
  checkPeerName,
  parsePeerCursor,
  resolveIdRange,
} from './sync-inputs.ts';
import { splitParsed, validateBatch } from './validate-batch.ts';

export interface MemoryStoreOptions {
  /** Clock for `receivedAt` (ms); tests pass a fake. Defaults to Date.now. */
  readonly now?: () => number;
  /** The feed id (default: a random UUID, new for every store). */
  readonly feedId?: string;
}

interface IndexEntry extends IndexedPointer {
  readonly deltaId: DeltaId;
}

/**
 * A DeltaStore held in process memory: the reference backend of the contract suite and the
 * store for tests and throwaway nodes. Nothing survives the process.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): DeltaStore {
  const now = options.now ?? Date.now;
  const byId = new Map<DeltaId, StoredDelta>();
  const log: StoredDelta[] = [];
  const byTarget = new Map<string, IndexEntry[]>();
  const entityRefs = new Map<string, number>();
  let newestTime = 0;
  const peerCursors = new Map<string, PeerCursor>();
  // A Set keeps insertion order: oldest first, as savedPeers promises.
  const savedPeers = new Set<string>();
  const listeners = createAppendListeners();
  const feedId = options.feedId ?? crypto.randomUUID();
  // Held ids in code-unit order, sorted on demand: appends only push.
  const sortedIds: DeltaId[] = [];
  let sortedUpTo = 0;
  let closed = false;

  const open = (): void => {
    if (closed) throw new StorageError(StorageErrorCode.Closed, 'the store is closed');
  };
  const deltaOf = (id: DeltaId): Delta => byId.get(id)!.delta;

  const fetchReferencing = async (targetIds: readonly string[]): Promise<Delta[]> => {
    const out: Delta[] = [];
    for (const targetId of targetIds) {
      for (const entry of byTarget.get(targetId) ?? []) out.push(deltaOf(entry.deltaId));
    }
    return out;
  };

  /** Stores validated, deduplicated deltas; `input` is what the caller passed, for the result. */
  const storeUnique = (input: readonly unknown[], unique: readonly Delta[]) => {
    const receivedAt = now();
    const inserted = new Set<DeltaId>();
    const entries: StoredDelta[] = [];
    for (const delta of unique) {
      if (byId.has(delta.id)) continue;
      const stored: StoredDelta = Object.freeze({ seq: log.length + 1, receivedAt, delta });
      byId.set(delta.id, stored);
      log.push(stored);
      entries.push(stored);
      inserted.add(delta.id);
      if (delta.timeCreated > newestTime) newestTime = delta.timeCreated;
      for (const pointer of listReferencePointers(delta)) {
        const entries = byTarget.get(pointer.targetId) ?? [];
        entries.push({ ...pointer, deltaId: delta.id });
        byTarget.set(pointer.targetId, entries);
        if (isEntityPointer(pointer))
          entityRefs.set(pointer.targetId, (entityRefs.get(pointer.targetId) ?? 0) + 1);
      }
    }
    listeners.notify(entries);
    return splitResult(input, inserted);
  };

  return {
    async append(input) {
      open();
      return storeUnique(input, validateBatch(input, { withJson: false }).unique);
    },

    async appendValidated(input) {
      open();
      // Nothing here needs the JSON: a delta core validated goes in as it is.
      const { deltas } = splitParsed(input);
      return storeUnique(deltas, validateBatch(deltas, { withJson: false }).unique);
    },

    async get(ids) {
      open();
      checkIdCount(ids, 'get()');
      const out: Delta[] = [];
      for (const id of new Set(ids)) {
        const stored = byId.get(id);
        if (stored !== undefined) out.push(stored.delta);
      }
      return out;
    },

    async hyperview(entityId, query = {}) {
      open();
      checkAsOf(query.asOf);
      const rows: (HyperviewRow & { position: number })[] = [];
      for (const entry of byTarget.get(entityId) ?? []) {
        if (query.property !== undefined && entry.targetContext !== query.property) continue;
        const delta = deltaOf(entry.deltaId);
        if (query.asOf !== undefined && delta.timeCreated > query.asOf) continue;
        rows.push({
          property: entry.targetContext,
          localContext: entry.localContext,
          delta,
          position: entry.position,
        });
      }
      rows.sort((a, b) => compareDeltas(a.delta, b.delta) || a.position - b.position);
      return rows.map(({ property, localContext, delta }) => ({ property, localContext, delta }));
    },

    async closure(entityIds, query = {}) {
      open();
      checkIdCount(entityIds, 'closure()');
      checkAsOf(query.asOf);
      return collectClosure(entityIds, fetchReferencing, query.asOf);
    },

    async changes(query = {}) {
      open();
      const after = resolveCursor(query.after);
      const limit = resolvePageSize(query.limit);
      // Sequence numbers here are dense from 1, so the log index is seq - 1.
      const entries = log.slice(after, after + limit);
      const cursor = entries.at(-1)?.seq ?? after;
      return { entries, cursor, hasMore: log.length > cursor };
    },

    async entities(query = {}) {
      open();
      const limit = resolvePageSize(query.limit);
      const prefix = query.prefix ?? '';
      const after = query.after;
      checkProperties(query.properties);
      const wanted = query.properties === undefined ? undefined : new Set(query.properties);
      const holds = (id: string): boolean =>
        wanted === undefined ||
        (byTarget.get(id) ?? []).some(
          (entry) => entry.targetContext !== null && wanted.has(entry.targetContext),
        );
      const ids = [...entityRefs.keys()]
        .filter((id) => id.startsWith(prefix) && (after === undefined || id > after) && holds(id))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const page = ids.slice(0, limit);
      return { entities: page, cursor: ids.length > limit ? page.at(-1)! : null };
    },

    async counts() {
      open();
      return { deltas: log.length, entities: entityRefs.size, lastSeq: log.length, newestTime };
    },

    async feedId() {
      open();
      return feedId;
    },

    async listIds(query) {
      open();
      const { lower, upper, limit } = resolveIdRange(query);
      if (sortedUpTo < log.length) {
        for (const entry of log.slice(sortedUpTo)) sortedIds.push(entry.delta.id);
        sortedUpTo = log.length;
        sortedIds.sort(compareCodeUnits);
      }
      const start = lower === undefined ? 0 : findLowerBound(sortedIds, lower);
      const end = upper === undefined ? sortedIds.length : findLowerBound(sortedIds, upper);
      return sortedIds.slice(start, Math.max(start, Math.min(end, start + limit)));
    },

    async negationsOf(ids) {
      open();
      const out = new Set<DeltaId>();
      for (const id of checkIdList(ids, 'negationsOf()')) {
        for (const entry of byTarget.get(id) ?? [])
          if (entry.localContext === Vocabulary.negates) out.add(entry.deltaId);
      }
      return [...out].sort(compareCodeUnits);
    },

    async getPeerCursor(peer) {
      open();
      return peerCursors.get(checkPeerName(peer));
    },

    async setPeerCursor(peer, cursor) {
      open();
      peerCursors.set(checkPeerName(peer), parsePeerCursor(cursor));
    },

    async savedPeers() {
      open();
      return [...savedPeers];
    },

    async savePeer(address) {
      open();
      const checked = checkPeerAddress(address);
      if (savedPeers.has(checked)) return false;
      savedPeers.add(checked);
      return true;
    },

    async forgetPeer(address) {
      open();
      return savedPeers.delete(checkPeerAddress(address));
    },

    onAppend(listener) {
      return listeners.subscribe(listener);
    },

    async close() {
      closed = true;
      listeners.clear();
    },
  };
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first element `>= value` in a sorted array. */
function findLowerBound(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
