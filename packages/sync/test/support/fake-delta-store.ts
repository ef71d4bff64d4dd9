import { parseDelta, type Delta } from '@rhizome/core';
import type { DeltaStoreLike } from '../../src/delta-store-adapter.ts';

/**
 * A stand-in for @rhizome/storage's DeltaStore with the same observable contract, including
 * sequence numbers with gaps (the contract allows them), to show sync does not assume contiguity.
 */
export function createFakeDeltaStore(): DeltaStoreLike {
  const log: { seq: number; delta: Delta }[] = [];
  const byId = new Map<string, Delta>();
  let lastSeq = 0;
  return {
    async append(input) {
      const deltas = input.map((value) => parseDelta(value));
      const inserted: string[] = [];
      for (const delta of deltas) {
        if (byId.has(delta.id)) continue;
        byId.set(delta.id, delta);
        lastSeq += 3;
        log.push({ seq: lastSeq, delta });
        inserted.push(delta.id);
      }
      return { inserted };
    },
    async get(ids) {
      return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    },
    async changes(query = {}) {
      const after = query.after ?? 0;
      const limit = query.limit ?? 1000;
      const start = log.findIndex((entry) => entry.seq > after);
      const entries = start === -1 ? [] : log.slice(start, start + limit);
      const cursor = entries.length === 0 ? after : entries[entries.length - 1]!.seq;
      return { entries, cursor, hasMore: start !== -1 && start + limit < log.length };
    },
    async counts() {
      return { lastSeq };
    },
  };
}
