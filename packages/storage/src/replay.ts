import type { DeltaStore, StoredDelta } from './types.ts';

export interface ReplayOptions {
  /** Start after this sequence number (a checkpoint a cache saved); default 0. */
  readonly after?: number;
  readonly pageSize?: number;
}

/**
 * Feeds every stored delta, in local sequence order, to `apply`: how a node rebuilds its view
 * caches from storage at start. Resolves to the last sequence number applied (the next
 * checkpoint).
 */
export async function replayStore(
  store: DeltaStore,
  apply: (entries: readonly StoredDelta[]) => void | Promise<void>,
  options: ReplayOptions = {},
): Promise<number> {
  let cursor = options.after ?? 0;
  for (;;) {
    const page = await store.changes({ after: cursor, limit: options.pageSize ?? 5_000 });
    if (page.entries.length > 0) await apply(page.entries);
    cursor = page.cursor;
    if (!page.hasMore) return cursor;
  }
}
