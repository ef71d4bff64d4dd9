import { createApiError, ApiErrorCode } from './errors.ts';

export interface AsyncQueueOptions {
  /** Items held for a consumer that has not caught up. */
  readonly capacity: number;
  /**
   * What a full queue does: `latest` keeps only the newest item (right for views, where only the
   * current state matters); `fail` ends the stream with SUBSCRIBER_TOO_SLOW (right for a feed,
   * where skipping an item would silently lose data).
   */
  readonly overflow: 'latest' | 'fail';
  /**
   * Hears a `fail` overflow when it happens, at push time: the consumer may be stuck far away
   * (in a socket write that never completes) and would otherwise only learn of it on its next read.
   */
  readonly onOverflow?: (error: unknown) => void;
}

/** A bounded single-consumer queue: a slow subscriber never grows memory without limit. */
export interface AsyncQueue<T> {
  push(item: T): void;
  /**
   * Pushes a batch as one step. With `fail`, the queue overflows only when it already holds
   * `capacity` items before the batch: a consumer that was keeping up takes a batch larger than
   * its capacity whole, so it holds at most `capacity - 1` items plus one batch.
   */
  pushBatch(items: readonly T[]): void;
  /** Ends the stream after the buffered items (or at once with an error). */
  close(error?: unknown): void;
  /** The next item; `done` once closed and drained, or when `signal` aborts. */
  next(signal?: AbortSignal): Promise<IteratorResult<T, undefined>>;
  /** Items waiting for the consumer. */
  readonly size: number;
  readonly closed: boolean;
}

export function createAsyncQueue<T>(options: AsyncQueueOptions): AsyncQueue<T> {
  // Batches as pushed, read through a cursor: no copy of a large batch, no O(n) shift per item.
  const chunks: (readonly T[])[] = [];
  let cursor = 0;
  let size = 0;
  let closed = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;

  const notify = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };

  const clear = (): void => {
    chunks.length = 0;
    cursor = 0;
    size = 0;
  };

  const take = (): T => {
    const chunk = chunks[0]!;
    const item = chunk[cursor]!;
    cursor += 1;
    size -= 1;
    if (cursor >= chunk.length) {
      chunks.shift();
      cursor = 0;
    }
    return item;
  };

  const overflow = (): void => {
    const error = createApiError(
      ApiErrorCode.SubscriberTooSlow,
      `subscriber fell more than ${options.capacity} items behind`,
      { details: { capacity: options.capacity } },
    );
    queue.close(error);
    options.onOverflow?.(error);
  };

  const append = (items: readonly T[]): void => {
    if (closed || items.length === 0) return;
    if (options.overflow === 'fail') {
      if (size >= options.capacity) {
        overflow();
        return;
      }
      chunks.push(items);
      size += items.length;
    } else {
      // Only the newest `capacity` items matter.
      const kept = items.length > options.capacity ? items.slice(-options.capacity) : items;
      chunks.push(kept);
      size += kept.length;
      while (size > options.capacity) {
        const chunk = chunks[0]!;
        const drop = Math.min(size - options.capacity, chunk.length - cursor);
        cursor += drop;
        size -= drop;
        if (cursor >= chunk.length) {
          chunks.shift();
          cursor = 0;
        }
      }
    }
    notify();
  };

  const queue: AsyncQueue<T> = {
    get closed() {
      return closed;
    },
    get size() {
      return size;
    },
    push(item) {
      append([item]);
    },
    pushBatch(items) {
      append(items);
    },
    close(error) {
      if (closed) return;
      closed = true;
      if (error !== undefined) {
        failure = { error };
        clear();
      }
      notify();
    },
    async next(signal) {
      for (;;) {
        if (failure !== undefined) throw failure.error;
        if (size > 0) return { done: false, value: take() };
        if (closed || signal?.aborted) return { done: true, value: undefined };
        await new Promise<void>((resolve) => {
          const onAbort = (): void => resolve();
          signal?.addEventListener('abort', onAbort, { once: true });
          wake = () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          };
        });
      }
    },
  };
  return queue;
}
