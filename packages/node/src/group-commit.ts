import type { Delta } from '@rhizome/core';
import { StorageLimits, type DeltaStore } from '@rhizome/storage';
import type { WriteResult } from './node-types.ts';

interface PendingWrite {
  readonly deltas: readonly Delta[];
  /** The JSON text of each delta, when the writer has it (see DeltaStore.appendValidated). */
  readonly json: readonly string[] | undefined;
  readonly resolve: (results: WriteResult[]) => void;
  readonly reject: (error: unknown) => void;
}

export interface WriteCounters {
  deltasStored: number;
  deltasDuplicate: number;
  writeBatches: number;
}

/**
 * Group commit. Writes are stored one group at a time; every write that arrives while a group is
 * being stored joins the next group, which goes to storage as one atomic append — one
 * transaction and one durable flush for many requests. Results are computed as if the writes
 * had run one after another. A write resolves once `afterStore` has run for its group (the
 * node delivers what the store reported to its cache and streams there), so a read that follows
 * a write sees it.
 */
export interface GroupCommit {
  /** `json`: each delta's JSON text, for deltas core validated (the store then takes them as they are). */
  commit(deltas: readonly Delta[], json?: readonly string[]): Promise<WriteResult[]>;
  /** Resolves when no group is waiting or being stored. */
  idle(): Promise<void>;
}

export function createGroupCommit(
  store: DeltaStore,
  afterStore: () => Promise<void>,
  counters: WriteCounters,
): GroupCommit {
  const pendingWrites: PendingWrite[] = [];
  let flushing: Promise<void> | undefined;

  const takeGroup = (): PendingWrite[] => {
    const group: PendingWrite[] = [];
    let size = 0;
    while (pendingWrites.length > 0) {
      const next = pendingWrites[0]!;
      if (group.length > 0 && size + next.deltas.length > StorageLimits.maxBatchSize) break;
      group.push(pendingWrites.shift()!);
      size += next.deltas.length;
    }
    return group;
  };

  const storeGroup = async (group: readonly PendingWrite[]): Promise<void> => {
    let results: WriteResult[][];
    try {
      const result = group.every((write) => write.json !== undefined)
        ? await store.appendValidated(
            group.flatMap((write) =>
              write.deltas.map((delta, i) => ({ delta, json: write.json![i]! })),
            ),
          )
        : await store.append(group.flatMap((write) => write.deltas));
      const inserted = new Set(result.inserted);
      const claimed = new Set<string>();
      results = group.map((write) =>
        write.deltas.map((delta): WriteResult => {
          const stored = inserted.has(delta.id) && !claimed.has(delta.id);
          claimed.add(delta.id);
          if (stored) counters.deltasStored++;
          else counters.deltasDuplicate++;
          return { id: delta.id, status: stored ? 'stored' : 'duplicate' };
        }),
      );
    } catch (error) {
      await afterStore();
      for (const write of group) write.reject(error);
      return;
    }
    await afterStore();
    counters.writeBatches++;
    group.forEach((write, i) => write.resolve(results[i]!));
  };

  const flushWrites = async (): Promise<void> => {
    // Let requests already waiting on the sockets be read first. On PGlite, whose statements run
    // on this thread, the first write would otherwise always go alone and no group ever form.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (pendingWrites.length > 0) await storeGroup(takeGroup());
    flushing = undefined;
  };

  return {
    commit: (deltas, json) =>
      new Promise<WriteResult[]>((resolve, reject) => {
        pendingWrites.push({ deltas, json, resolve, reject });
        flushing ??= flushWrites();
      }),
    idle: async () => {
      while (flushing !== undefined) await flushing;
    },
  };
}
