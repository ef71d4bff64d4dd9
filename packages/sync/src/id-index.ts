import { encodeFingerprint, laneValue, type IdSnapshot } from './fingerprint.ts';
import { findLowerBound } from './sorted.ts';

/**
 * The sorted id set a reconciliation reads, by rank: how many ids, the rank where an id would go,
 * the ids at ranks, and the fingerprint of a rank range. Asynchronous, so that it can read ids
 * from storage as the conversation needs them rather than hold them all.
 */
export interface IdIndex {
  readonly size: number;
  /** Rank of the first id `>= id`. */
  lowerBound(id: string): Promise<number>;
  /** Ids at ranks `[start, end)`. */
  range(start: number, end: number): Promise<readonly string[]>;
  /** Fingerprint of the ids at ranks `[start, end)`. */
  fingerprint(start: number, end: number): Promise<string>;
}

/** An index over ids held in memory (tests, and stores that cannot page their ids). */
export function arrayIdIndex(snapshot: IdSnapshot): IdIndex {
  return {
    size: snapshot.ids.length,
    lowerBound: async (id) => findLowerBound(snapshot.ids, id),
    range: async (start, end) => snapshot.ids.slice(start, end),
    fingerprint: async (start, end) => snapshot.fingerprint(start, end),
  };
}

/** Ids `> after` (all when undefined), ascending, at most `limit`. */
export type ScanIds = (after: string | undefined, limit: number) => Promise<readonly string[]>;
/** Ids with `lower <= id < upper` (no upper bound when null), ascending. */
export type ListIds = (lower: string, upper: string | null) => Promise<readonly string[]>;

interface Block {
  /** The block's smallest id at the snapshot: it holds the ids from here to the next block's. */
  readonly first: string;
  count: number;
  lane0: number;
  lane1: number;
}

export interface StoreIdIndexOptions {
  /** Ids summarised per block (default 4,096). */
  readonly blockSize?: number;
  /** Blocks of ids held at once (default 16): what one message's ranges read. */
  readonly cachedBlocks?: number;
}

/**
 * An index that keeps only a summary per block of ids (its first id, count and lane sums: about
 * 80 bytes per 4,096 ids) and reads a block's ids from storage when a range edge, a split point
 * or a listed range falls inside it. Built by one ascending scan of the ids.
 *
 * Storage keeps growing while a conversation runs. A block is summarised as it was scanned until
 * it is read again; reading it updates its summary to what storage holds then (and the ranks of
 * the blocks after it), so every answer is consistent with itself. Deltas that arrive meanwhile
 * also reach the peer by the live feed.
 */
export async function openStoreIdIndex(
  scan: ScanIds,
  list: ListIds,
  options: StoreIdIndexOptions = {},
): Promise<IdIndex> {
  const blockSize = options.blockSize ?? 4096;
  const cachedBlocks = options.cachedBlocks ?? 16;
  const blocks: Block[] = [];
  let current: Block | undefined;
  for (let after: string | undefined; ;) {
    const page = await scan(after, Math.max(blockSize, 10_000));
    for (const id of page) {
      if (current === undefined || current.count === blockSize) {
        current = { first: id, count: 0, lane0: 0, lane1: 0 };
        blocks.push(current);
      }
      current.count++;
      current.lane0 = (current.lane0 + laneValue(id, 0)) >>> 0;
      current.lane1 = (current.lane1 + laneValue(id, 1)) >>> 0;
    }
    if (page.length === 0) break;
    after = page[page.length - 1];
  }
  // Ranks where each block starts; recomputed when a block read from storage changed size.
  let starts: number[] = [];
  let size = 0;
  const reindex = (): void => {
    starts = new Array<number>(blocks.length);
    size = 0;
    for (let b = 0; b < blocks.length; b++) {
      starts[b] = size;
      size += blocks[b]!.count;
    }
  };
  reindex();
  const loaded = new Map<number, readonly string[]>(); // LRU by insertion order

  const load = async (b: number): Promise<readonly string[]> => {
    const hit = loaded.get(b);
    if (hit !== undefined) {
      loaded.delete(b);
      loaded.set(b, hit);
      return hit;
    }
    const block = blocks[b]!;
    const ids = await list(block.first, blocks[b + 1]?.first ?? null);
    let lane0 = 0;
    let lane1 = 0;
    for (const id of ids) {
      lane0 = (lane0 + laneValue(id, 0)) >>> 0;
      lane1 = (lane1 + laneValue(id, 1)) >>> 0;
    }
    block.lane0 = lane0;
    block.lane1 = lane1;
    if (ids.length !== block.count) {
      block.count = ids.length;
      reindex();
    }
    loaded.set(b, ids);
    if (loaded.size > cachedBlocks) loaded.delete(loaded.keys().next().value!);
    return ids;
  };

  /** The block holding rank `rank` (the last block for `rank === size`). */
  const blockAt = (rank: number): number => {
    let low = 0;
    let high = blocks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (starts[mid]! <= rank) low = mid;
      else high = mid - 1;
    }
    return low;
  };

  /** Lane sums of ranks `[start, end)` within one block. */
  const partial = async (b: number, start: number, end: number): Promise<[number, number]> => {
    const ids = await load(b);
    const base = starts[b]!;
    let lane0 = 0;
    let lane1 = 0;
    for (let r = start; r < end; r++) {
      const id = ids[r - base]!;
      lane0 = (lane0 + laneValue(id, 0)) >>> 0;
      lane1 = (lane1 + laneValue(id, 1)) >>> 0;
    }
    return [lane0, lane1];
  };

  const index: IdIndex = {
    get size() {
      return size;
    },
    async lowerBound(id) {
      if (blocks.length === 0) return 0;
      // The last block whose first id is <= id holds the bound (or it is the next block's start).
      let low = 0;
      let high = blocks.length - 1;
      while (low < high) {
        const mid = (low + high + 1) >>> 1;
        if (blocks[mid]!.first <= id) low = mid;
        else high = mid - 1;
      }
      if (blocks[low]!.first > id) return 0;
      const ids = await load(low);
      return starts[low]! + findLowerBound(ids, id);
    },
    async range(start, end) {
      const out: string[] = [];
      for (let rank = start; rank < end;) {
        const b = blockAt(rank);
        const ids = await load(b);
        const base = starts[b]!;
        const stop = Math.min(end, base + ids.length);
        for (let r = rank; r < stop; r++) out.push(ids[r - base]!);
        if (stop <= rank) break; // the block shrank under us: nothing more there
        rank = stop;
      }
      return out;
    },
    async fingerprint(start, end) {
      if (end <= start) return encodeFingerprint(0, 0);
      // Edges first: reading them may update their counts, and so the ranks.
      const first = blockAt(start);
      const last = blockAt(end - 1);
      if (first === last) {
        const [lane0, lane1] = await partial(first, start, end);
        return encodeFingerprint(lane0, lane1);
      }
      const head = await partial(first, start, starts[first]! + blocks[first]!.count);
      const tail = await partial(last, starts[last]!, end);
      let lane0 = head[0] + tail[0];
      let lane1 = head[1] + tail[1];
      for (let b = first + 1; b < last; b++) {
        lane0 += blocks[b]!.lane0;
        lane1 += blocks[b]!.lane1;
      }
      return encodeFingerprint(lane0 >>> 0, lane1 >>> 0);
    },
  };
  return index;
}
