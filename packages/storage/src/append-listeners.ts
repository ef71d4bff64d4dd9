import type { AppendListener, StoredDelta } from './types.ts';

/** The `onAppend` bookkeeping every backend shares. */
export interface AppendListeners {
  /** Adds a listener; returns its unsubscribe function. */
  subscribe(listener: AppendListener): () => void;
  /** Calls every listener with `entries` (skipped when empty). */
  notify(entries: readonly StoredDelta[]): void;
  readonly size: number;
  clear(): void;
}

export function createAppendListeners(): AppendListeners {
  const listeners = new Set<AppendListener>();
  return {
    subscribe(listener) {
      // A wrapper per subscription: the same function subscribed twice is called twice and
      // each unsubscribe removes one.
      const entry: AppendListener = (entries) => listener(entries);
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    notify(entries) {
      if (entries.length === 0) return;
      for (const listener of [...listeners]) {
        try {
          listener(entries);
        } catch (error) {
          // The append has committed: failing it would invite a retry of something done. The
          // error still surfaces, as an uncaught exception, like a throw from any event handler.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
    get size() {
      return listeners.size;
    },
    clear() {
      listeners.clear();
    },
  };
}
