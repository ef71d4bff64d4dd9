import { StorageLimits, type DeltaStore } from '@rhizome/storage';
import {
  createViewStore,
  forEachHyperviewSlot,
  negatedIdsOf,
  transactionDeclarationsOf,
  transactionIdsOf,
  type Schema,
  type ViewStore,
} from '@rhizome/views';
import type { Delta } from '@rhizome/core';
import { approximateDeltaBytes, referencedEntities, referencesOf } from './nesting.ts';

/**
 * The node's working set: a view store holding the closures of the entities read recently,
 * loaded from storage on a miss and bounded in bytes. An entity is *resident* once its whole
 * closure is in the view store; from then on every delta that may change its views is ingested
 * as it is appended, so it stays exactly what the store would resolve. Other entities may hold
 * a few deltas in the view store (a delta touching a resident entity and another), but they are
 * never read before their closure is loaded.
 *
 * A view store cannot forget deltas, so eviction rebuilds it: when the estimate passes the
 * budget, a fresh view store takes the closures of the pinned entities (watched, or always kept
 * such as schemas), of those the current read needs, and of the most recently used others up to
 * half the budget; subscriptions move to it.
 */
export interface EntityCache {
  /** The current view store; replaced when the cache evicts, so read it afresh after any await. */
  readonly views: ViewStore;
  /** Makes the entities resident, loading their closures in one storage call per batch. */
  ensure(entityIds: Iterable<string>): Promise<void>;
  /**
   * Makes `entityId` and every entity reachable from it through at most `depth` reference hops
   * resident (what a nested schema view may read), and returns them.
   */
  ensureNested(entityId: string, depth: number): Promise<Set<string>>;
  /** Newly appended deltas, in storage order: ingests those that can change a resident entity. */
  offer(deltas: readonly Delta[]): Promise<number>;
  /** Keeps entities resident until the returned function is called (once per pin). */
  pin(entityIds: Iterable<string>): () => void;
  /** A view-store subscription that follows the cache across evictions. */
  subscribe(
    entityId: string,
    schema: Schema | undefined,
    depth: number,
    listener: (view: unknown) => void,
  ): () => void;
  registerSchema(schema: Schema): void;
  stats(): EntityCacheStats;
}

export interface EntityCacheStats {
  readonly residentEntities: number;
  readonly pinnedEntities: number;
  /** Estimated bytes of the resident closures. */
  readonly bytes: number;
  readonly maxBytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly deltas: number;
}

export interface EntityCacheOptions {
  readonly store: DeltaStore;
  /** The budget for resident closures, estimated (default 256 MiB). */
  readonly maxBytes?: number;
  /** Entities that are loaded whenever a delta touches them and never evicted (schemas). */
  readonly alwaysResident?: (entityId: string) => boolean;
  /** A failed load while ingesting appended deltas; the entities involved are dropped. */
  readonly onError?: (error: unknown) => void;
}

interface Resident {
  bytes: number;
  pins: number;
}

interface Watcher {
  readonly entityId: string;
  readonly schema: Schema | undefined;
  readonly depth: number;
  readonly listener: (view: unknown) => void;
  stop: () => void;
}

/** Closure loads go to storage in batches of this many entities. */
const LOAD_BATCH = 500;

export function createEntityCache(options: EntityCacheOptions): EntityCache {
  const { store } = options;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const alwaysResident = options.alwaysResident ?? (() => false);
  let views = createViewStore();
  // Most recently used last (a Map keeps insertion order; a hit re-inserts).
  const resident = new Map<string, Resident>();
  const loading = new Map<string, Promise<void>>();
  const schemas = new Map<string, Schema>();
  const watchers = new Set<Watcher>();
  let bytes = 0;
  // Deltas ingested that no resident entity accounts for (offered while a load was running).
  let strayBytes = 0;
  const counters = { hits: 0, misses: 0, evictions: 0 };

  const touch = (entityId: string): Resident | undefined => {
    const entry = resident.get(entityId);
    if (entry === undefined) return undefined;
    resident.delete(entityId);
    resident.set(entityId, entry);
    return entry;
  };

  const load = async (ids: readonly string[]): Promise<void> => {
    const closure = await store.closure(ids);
    views.ingestMany(closure);
    // Charged to every entity the delta sits at among those loaded: an over-estimate when
    // several share it, never an under-estimate.
    const wanted = new Set(ids);
    const charged = new Map<string, number>(ids.map((id) => [id, 0]));
    for (const delta of closure) {
      const size = approximateDeltaBytes(delta);
      let placed = false;
      forEachHyperviewSlot(delta, (entityId) => {
        if (!wanted.has(entityId)) return;
        charged.set(entityId, charged.get(entityId)! + size);
        placed = true;
      });
      if (!placed) charged.set(ids[0]!, charged.get(ids[0]!)! + size);
    }
    for (const [id, size] of charged) {
      if (resident.has(id)) continue;
      resident.set(id, { bytes: size + 64, pins: 0 });
      bytes += size + 64;
    }
  };

  const ensure = async (entityIds: Iterable<string>): Promise<void> => {
    const missing: string[] = [];
    const waits: Promise<void>[] = [];
    for (const id of new Set(entityIds)) {
      if (touch(id) !== undefined) {
        counters.hits++;
        continue;
      }
      const pending = loading.get(id);
      if (pending !== undefined) waits.push(pending);
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += LOAD_BATCH) {
      const batch = missing.slice(i, i + LOAD_BATCH);
      counters.misses += batch.length;
      const promise = load(batch).finally(() => {
        for (const id of batch) loading.delete(id);
      });
      for (const id of batch) loading.set(id, promise);
      waits.push(promise);
    }
    await Promise.all(waits);
  };

  // One reference hop of a nested view: the entities the frontier's deltas name that are not in
  // `seen` and that `admit` takes; they join `seen`.
  const nextLevel = (
    frontier: readonly string[],
    seen: Set<string>,
    admit: (entityId: string) => boolean = () => true,
  ): string[] => {
    const next: string[] = [];
    for (const id of referencedEntities(views.index, frontier))
      if (!seen.has(id) && admit(id)) {
        seen.add(id);
        next.push(id);
      }
    return next;
  };

  const ensureNested = async (entityId: string, depth: number): Promise<Set<string>> => {
    const reached = new Set<string>([entityId]);
    let frontier = [entityId];
    for (let level = 0; frontier.length > 0; level++) {
      await ensure(frontier);
      if (level >= depth) break;
      frontier = nextLevel(frontier, reached);
    }
    return reached;
  };

  // What the pinned entities and the nested watchers need, walked over the current view store
  // (all of it resident), so a rebuild keeps it.
  const requiredNow = (): Set<string> => {
    const keep = new Set<string>();
    for (const [id, entry] of resident) if (entry.pins > 0 || alwaysResident(id)) keep.add(id);
    const isResident = (id: string) => resident.has(id);
    for (const watcher of watchers) {
      let frontier = [watcher.entityId];
      keep.add(watcher.entityId);
      for (let level = 0; level < watcher.depth && frontier.length > 0; level++)
        frontier = nextLevel(frontier, keep, isResident);
    }
    return keep;
  };

  const rebuild = (protect: ReadonlySet<string>): void => {
    const keep = requiredNow();
    for (const id of protect) if (resident.has(id)) keep.add(id);
    let kept = 0;
    for (const id of keep) kept += resident.get(id)?.bytes ?? 0;
    // The most recently used others, newest first, while they fit in half the budget.
    const recent = [...resident.keys()].reverse();
    for (const id of recent) {
      if (keep.has(id)) continue;
      const size = resident.get(id)!.bytes;
      if (kept + size > maxBytes / 2) break;
      keep.add(id);
      kept += size;
    }
    const old = views;
    const fresh = createViewStore();
    for (const schema of schemas.values()) fresh.registerSchema(schema);
    for (const id of keep) fresh.ingestMany(old.closure(id));
    for (const [id] of [...resident]) {
      if (keep.has(id)) continue;
      resident.delete(id);
      counters.evictions++;
    }
    views = fresh;
    bytes = kept;
    strayBytes = 0;
    for (const watcher of watchers) {
      watcher.stop();
      watcher.stop = fresh.subscribe(watcher.entityId, watcher.listener, {
        ...(watcher.schema === undefined ? {} : { schema: watcher.schema }),
      });
    }
  };

  const fitBudget = (protect: ReadonlySet<string>): void => {
    if (bytes + strayBytes > maxBytes && loading.size === 0) rebuild(protect);
  };

  const relevant = (delta: Delta): { touches: boolean; pending: string[] } => {
    const index = views.index;
    let touches = false;
    const pending: string[] = [];
    forEachHyperviewSlot(delta, (entityId) => {
      if (resident.has(entityId) || loading.has(entityId)) touches = true;
      else if (alwaysResident(entityId)) pending.push(entityId);
    });
    if (!touches) for (const id of negatedIdsOf(delta)) if (index.has(id)) touches = true;
    if (!touches) {
      const transactions = [
        ...transactionIdsOf(delta),
        ...transactionDeclarationsOf(delta).map((declaration) => declaration.transactionId),
      ];
      for (const tx of transactions)
        if (index.transactionMembers(tx).length > 0 || index.transactionDeclarations(tx).length > 0)
          touches = true;
    }
    return { touches, pending };
  };

  const maxWatchedDepth = (): number => {
    let depth = 0;
    for (const watcher of watchers) depth = Math.max(depth, watcher.depth);
    return depth;
  };

  const offer = async (deltas: readonly Delta[]): Promise<number> => {
    const take: Delta[] = [];
    const toLoad = new Set<string>();
    const depth = maxWatchedDepth();
    for (const delta of deltas) {
      const { touches, pending } = relevant(delta);
      for (const id of pending) toLoad.add(id);
      // While a closure is loading, a delta it may have missed is kept whatever it touches.
      if (!touches && pending.length === 0 && loading.size === 0) continue;
      take.push(delta);
      // A nested watcher must not see a reference before the entity it names is here.
      if (touches && depth > 0) for (const id of referencesOf(delta)) toLoad.add(id);
    }
    if (toLoad.size > 0) {
      try {
        if (depth > 0) for (const id of toLoad) await ensureNested(id, Math.max(0, depth - 1));
        else await ensure(toLoad);
      } catch (error) {
        options.onError?.(error);
      }
    }
    // Deltas may arrive in any order: a negation, a transaction's declaration or its other
    // members may have been stored before a delta that now joins a resident entity, and were
    // skipped then. Storage has them; they go in together with it.
    const probe = new Set<string>();
    for (const delta of take) {
      if (views.index.has(delta.id)) continue;
      probe.add(delta.id);
      for (const tx of transactionIdsOf(delta)) probe.add(tx);
    }
    const extra: Delta[] = [];
    try {
      const ids = [...probe];
      for (let i = 0; i < ids.length; i += StorageLimits.maxIdsPerCall)
        extra.push(...(await store.closure(ids.slice(i, i + StorageLimits.maxIdsPerCall))));
    } catch (error) {
      options.onError?.(error);
    }
    const all = extra.length === 0 ? take : [...take, ...extra];
    const added = views.ingestMany(all);
    for (const delta of all) {
      const size = approximateDeltaBytes(delta);
      let placed = false;
      forEachHyperviewSlot(delta, (entityId) => {
        const entry = resident.get(entityId);
        if (entry === undefined) return;
        entry.bytes += size;
        bytes += size;
        placed = true;
      });
      if (!placed) strayBytes += size;
    }
    fitBudget(new Set());
    return added;
  };

  const allResident = (ids: Iterable<string>): boolean => {
    for (const id of ids) if (!resident.has(id)) return false;
    return true;
  };

  const pin = (entityIds: Iterable<string>): (() => void) => {
    const ids = [...new Set(entityIds)];
    for (const id of ids) {
      const entry = resident.get(id);
      if (entry !== undefined) entry.pins++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of ids) {
        const entry = resident.get(id);
        if (entry !== undefined && entry.pins > 0) entry.pins--;
      }
    };
  };

  const cache: EntityCache = {
    get views() {
      return views;
    },
    // Another caller's eviction may run while this one waits: loop until, with no await left
    // before the caller reads, every entity asked for is resident.
    async ensure(entityIds) {
      const ids = new Set(entityIds);
      for (;;) {
        await ensure(ids);
        if (allResident(ids)) break;
      }
      fitBudget(ids);
    },
    async ensureNested(entityId, depth) {
      for (;;) {
        const reached = await ensureNested(entityId, depth);
        if (!allResident(reached)) continue;
        fitBudget(reached);
        return reached;
      }
    },
    offer,
    pin,
    subscribe(entityId, schema, depth, listener) {
      const watcher: Watcher = {
        entityId,
        schema,
        depth,
        listener,
        stop: views.subscribe(entityId, listener, schema === undefined ? {} : { schema }),
      };
      watchers.add(watcher);
      return () => {
        watcher.stop();
        watchers.delete(watcher);
      };
    },
    registerSchema(schema) {
      schemas.set(schema.name, schema);
      views.registerSchema(schema);
    },
    stats() {
      let pinned = 0;
      for (const entry of resident.values()) if (entry.pins > 0) pinned++;
      return {
        residentEntities: resident.size,
        pinnedEntities: pinned,
        bytes: bytes + strayBytes,
        maxBytes,
        deltas: views.size,
        ...counters,
      };
    },
  };
  return cache;
}
