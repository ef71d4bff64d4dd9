import type { DeltaId } from '@rhizome/core';
import type { SyncStore } from './store.ts';

/** Base64url characters in code-unit order: the order ids sort in. */
const ORDER = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const RANK = new Map([...ORDER].map((char, i) => [char, i]));
/** '~' sorts after every base64url character: `${p}~` bounds exactly the ids starting with p. */
const AFTER = '~';

/** Where an id (or prefix) falls in the id space, in [0, 1); ids are hashes, so uniform. */
function locate(id: string): number {
  let position = 0;
  let scale = 1;
  for (let i = 0; i < 8 && i < id.length; i++) {
    scale /= 64;
    position += (RANK.get(id[i]!) ?? 0) * scale;
  }
  return position;
}

export interface PrefixLookupOptions {
  /** About how many ids the store holds (the feed head will do). */
  readonly estimatedIds: number;
  /** Ids one range read may return, by the estimate, before a group of prefixes is split. */
  readonly idsPerRead: number;
  /** Lets other work run between reads: one link's look-ups never hold the node for long. */
  readonly yieldTurn: () => Promise<void>;
}

/**
 * The held ids starting with any of `prefixes`, read with one range read per group of nearby
 * prefixes instead of one per prefix. Sorted prefixes are grouped while the range from the first
 * to the last holds at most `idsPerRead` ids by the estimate; each group costs one `listIds`,
 * filtered here. A small store answers a whole want message in one read; a large one in about
 * as many reads as its ids over `idsPerRead`, never more than one per prefix.
 */
export async function listIdsWithPrefixes(
  store: Pick<SyncStore, 'listIds'>,
  prefixes: readonly string[],
  options: PrefixLookupOptions,
): Promise<DeltaId[]> {
  const sorted = [...new Set(prefixes)].sort();
  const wanted = new Set(sorted);
  const lengths = [...new Set(sorted.map((prefix) => prefix.length))];
  const found: DeltaId[] = [];
  const density = Math.max(1, options.estimatedIds);
  let start = 0;
  while (start < sorted.length) {
    const low = locate(sorted[start]!);
    let end = start + 1;
    while (end < sorted.length && (locate(sorted[end]!) - low) * density <= options.idsPerRead)
      end++;
    const group = sorted.slice(start, end);
    const ids = await store.listIds(group[0]!, `${group[group.length - 1]!}${AFTER}`);
    for (const id of ids) {
      if (lengths.some((length) => wanted.has(id.slice(0, length)))) found.push(id);
    }
    start = end;
    if (start < sorted.length) await options.yieldTurn();
  }
  return found;
}
