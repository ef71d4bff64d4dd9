import type { DeltaStore, StoredDelta } from '@rhizome/storage';
import { StorageLimits } from '@rhizome/storage';
import { ApiErrorCode, createApiError } from './errors.ts';
import { createAsyncQueue, type AsyncQueue } from './async-queue.ts';
import type { EntityCache } from './entity-cache.ts';
import type { NodeReads } from './node-reads.ts';
import type {
  EntityPageJson,
  EntityViewJson,
  QueryInput,
  StreamDeltasOptions,
} from './node-types.ts';
import { withId } from './node-reads.ts';

export interface NodeWatchesOptions {
  readonly store: DeltaStore;
  readonly cache: EntityCache;
  readonly reads: NodeReads;
  readonly assertAccepting: () => void;
  readonly streamBufferSize: number;
  readonly maxQuerySubscriptions: number;
  readonly maxWatchedEntities: number;
  readonly onDropped: () => void;
}

/** Subscriptions: entity views, query pages and the raw delta stream. */
export interface NodeWatches {
  /** Appended entries, after the cache took them: the raw stream and query watchers hear. */
  delivered(entries: readonly StoredDelta[]): void;
  watchEntity(
    entityId: string,
    options: { readonly schema?: string },
    signal?: AbortSignal,
  ): AsyncGenerator<EntityViewJson>;
  /** Runs `query` now and after every write batch, yielding each result that differs (any input, so a trust-filtered entity view too). */
  watchQuery<I = QueryInput, T = EntityPageJson>(
    input: I,
    query: (input: I) => Promise<T>,
    signal?: AbortSignal,
  ): AsyncGenerator<T>;
  streamDeltas(options?: StreamDeltasOptions, signal?: AbortSignal): AsyncGenerator<StoredDelta>;
  openCount(): number;
  /** Delivers the last views, then ends every subscription. */
  closeAll(): void;
}

export function createNodeWatches(options: NodeWatchesOptions): NodeWatches {
  const { store, cache, reads, assertAccepting } = options;
  const deltaListeners = new Set<AsyncQueue<StoredDelta>>();
  const afterWriteListeners = new Set<() => void>();
  const openQueues = new Set<AsyncQueue<unknown>>();
  let watchedEntities = 0;

  const register = <T>(queue: AsyncQueue<T>): (() => void) => {
    openQueues.add(queue as AsyncQueue<unknown>);
    return () => openQueues.delete(queue as AsyncQueue<unknown>);
  };

  // Every watcher of one entity under one schema is handed the same view object by the view
  // store, so a write frames it once for all of them rather than once per watcher.
  const framed = new WeakMap<object, EntityViewJson>();
  const framedView = (entityId: string, view: unknown): EntityViewJson => {
    if (typeof view !== 'object' || view === null) return withId(entityId, view);
    const hit = framed.get(view);
    if (hit !== undefined && hit.id === entityId) return hit;
    const json = Object.freeze(withId(entityId, view));
    framed.set(view, json);
    return json;
  };

  // Watchers hear after the write has answered: a push wakes the watcher's stream, whose
  // serialisation and socket write would otherwise all run, one per watcher, as microtasks ahead
  // of the write's own response. Views are states, so a watcher only needs its newest one.
  const undelivered = new Map<AsyncQueue<EntityViewJson>, EntityViewJson>();
  let deliveryScheduled = false;
  const deliverViews = (): void => {
    deliveryScheduled = false;
    const due = [...undelivered];
    undelivered.clear();
    for (const [queue, view] of due) queue.push(view);
  };
  const scheduleView = (queue: AsyncQueue<EntityViewJson>, view: EntityViewJson): void => {
    undelivered.set(queue, view);
    if (deliveryScheduled) return;
    deliveryScheduled = true;
    setTimeout(deliverViews, 0);
  };

  return {
    delivered(entries) {
      // One batch per delivery: a write larger than the buffer does not drop a subscriber that
      // had kept up (see AsyncQueue.pushBatch); the entries array is shared, not copied.
      if (entries.length > 0) for (const queue of [...deltaListeners]) queue.pushBatch(entries);
      if (entries.length > 0) for (const listener of afterWriteListeners) listener();
    },
    async *watchEntity(entityId, watchOptions, signal) {
      assertAccepting();
      const schema =
        watchOptions.schema === undefined ? undefined : reads.requireSchema(watchOptions.schema);
      const depth = reads.depthOf(schema);
      if (watchedEntities >= options.maxWatchedEntities) {
        throw createApiError(
          ApiErrorCode.TooManySubscriptions,
          `this node keeps at most ${options.maxWatchedEntities} watched entities resident`,
          { details: { limit: options.maxWatchedEntities } },
        );
      }
      // Views are states: a consumer that falls behind only needs the newest one.
      const queue = createAsyncQueue<EntityViewJson>({ capacity: 1, overflow: 'latest' });
      const unregister = register(queue);
      let unpin = (): void => {};
      let stop = (): void => {};
      let counted = 0;
      try {
        // Resident while watched, with what its nested view reaches; no await from here on
        // before the subscription holds it.
        const reached = await cache.ensureNested(entityId, depth);
        counted = reached.size;
        watchedEntities += counted;
        unpin = cache.pin(reached);
        stop = cache.subscribe(entityId, schema, depth, (view) =>
          scheduleView(queue, framedView(entityId, view)),
        );
        yield reads.resolveResident(entityId, schema);
        for (;;) {
          const next = await queue.next(signal);
          if (next.done) return;
          yield next.value;
        }
      } finally {
        stop();
        unpin();
        watchedEntities -= counted;
        undelivered.delete(queue);
        unregister();
      }
    },
    async *watchQuery<I, T>(
      input: I,
      query: (input: I) => Promise<T>,
      signal?: AbortSignal,
    ): AsyncGenerator<T> {
      assertAccepting();
      if (afterWriteListeners.size >= options.maxQuerySubscriptions) {
        throw createApiError(
          ApiErrorCode.TooManySubscriptions,
          `this node serves at most ${options.maxQuerySubscriptions} query subscriptions`,
          { details: { limit: options.maxQuerySubscriptions } },
        );
      }
      let page: T = await query(input);
      let last = JSON.stringify(page);
      const queue = createAsyncQueue<T>({ capacity: 1, overflow: 'latest' });
      const unregister = register(queue);
      // One re-run at a time; writes that land during one ask for one more.
      let dirty = false;
      let running = false;
      const rerun = async (): Promise<void> => {
        running = true;
        try {
          while (dirty) {
            dirty = false;
            const next = await query(input);
            const key = JSON.stringify(next);
            if (key === last) continue;
            last = key;
            queue.push(next);
          }
        } catch (error) {
          queue.close(error); // e.g. its schema became invalid: end this subscription, not the write
        } finally {
          running = false;
        }
      };
      const listener = (): void => {
        dirty = true;
        if (!running) void rerun();
      };
      afterWriteListeners.add(listener);
      try {
        yield page;
        for (;;) {
          const next = await queue.next(signal);
          if (next.done) return;
          page = next.value;
          yield page;
        }
      } finally {
        afterWriteListeners.delete(listener);
        unregister();
      }
    },
    async *streamDeltas(streamOptions = {}, signal) {
      assertAccepting();
      // Counted and detached when the queue overflows, not when the consumer next reads: a
      // consumer stuck in a socket write may never read again.
      const queue: AsyncQueue<StoredDelta> = createAsyncQueue<StoredDelta>({
        capacity: options.streamBufferSize,
        overflow: 'fail',
        onOverflow: (error) => {
          options.onDropped();
          deltaListeners.delete(queue);
          unregister();
          streamOptions.onDropped?.(error);
        },
      });
      const unregister = register(queue);
      let last = streamOptions.after;
      try {
        if (last === undefined) deltaListeners.add(queue);
        else {
          // Catch up from the store, join the live stream, then read the store once more: a
          // delta stored between the two is in that second read or in the queue (or both, and
          // the seq check below drops the repeat), so nothing is lost or sent twice.
          for (const join of [false, true]) {
            if (join) deltaListeners.add(queue);
            for (;;) {
              const page = await store.changes({
                after: last,
                limit: StorageLimits.defaultPageSize,
              });
              for (const entry of page.entries) {
                if (signal?.aborted === true) return;
                last = entry.seq;
                yield entry;
              }
              if (!page.hasMore) break;
            }
          }
        }
        for (;;) {
          const next = await queue.next(signal);
          if (next.done) return;
          if (last !== undefined && next.value.seq <= last) continue;
          last = next.value.seq;
          yield next.value;
        }
      } finally {
        deltaListeners.delete(queue);
        unregister();
      }
    },
    openCount: () => openQueues.size,
    closeAll() {
      deliverViews(); // the last writes' views, before the streams end
      for (const queue of openQueues) queue.close();
    },
  };
}
