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
}

/** A bounded single-consumer queue: a slow subscriber never grows memory without limit. */
export interface AsyncQueue<T> {
  push(item: T): void;
  /** Ends the stream after the buffered items (or at once with an error). */
  close(error?: unknown): void;
  /** The next item; `done` once closed and drained, or when `signal` aborts. */
  next(signal?: AbortSignal): Promise<IteratorResult<T, undefined>>;
  readonly closed: boolean;
}

export function createAsyncQueue<T>(options: AsyncQueueOptions): AsyncQueue<T> {
  const items: T[] = [];
  let closed = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;

  const notify = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };

  const queue: AsyncQueue<T> = {
    get closed() {
      return closed;
    },
    push(item) {
      if (closed) return;
      if (items.length >= options.capacity) {
        if (options.overflow === 'latest') {
          items.splice(0, items.length - options.capacity + 1);
        } else {
          queue.close(
            createApiError(
              ApiErrorCode.SubscriberTooSlow,
              `subscriber fell more than ${options.capacity} items behind`,
              {
                details: { capacity: options.capacity },
              },
            ),
          );
          return;
        }
      }
      items.push(item);
      notify();
    },
    close(error) {
      if (closed) return;
      closed = true;
      if (error !== undefined) {
        failure = { error };
        items.length = 0;
      }
      notify();
    },
    async next(signal) {
      for (;;) {
        if (failure !== undefined) throw failure.error;
        if (items.length > 0) return { done: false, value: items.shift()! };
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
