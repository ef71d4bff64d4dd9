import { toErrorResponse } from '@rhizome/api';
import type { Context } from 'hono';
import { connectionOf, createDroppableBody } from '../droppable-body.ts';

const encoder = new TextEncoder();
const PING = encoder.encode(': ping\n\n');
// Sent first so the response (and its headers) leave at once, even before any event.
const OPENED = encoder.encode(': connected\n\n');

// Frames by the object they carry. The node hands every watcher of one (entity, schema) the same
// frozen view object, and every raw-stream subscriber the same stored-delta entry, so one write
// is serialised and encoded once however many subscribers there are.
const frames = new WeakMap<object, Uint8Array>();

/** The SSE frame of `key`, built by `text` the first time and shared after. */
export function encodeSharedFrame(key: object, text: () => string): Uint8Array {
  let frame = frames.get(key);
  if (frame === undefined) {
    frame = encoder.encode(text());
    frames.set(key, frame);
  }
  return frame;
}

/** `data: <json>` (and `id:` when given), as one SSE event. */
export function formatEvent(data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

function errorFrame(error: unknown): Uint8Array {
  return encoder.encode(`event: error\n${formatEvent(toErrorResponse(error).body)}`);
}

export interface EventStreamOptions<T> {
  /**
   * Starts the source; it must end (done) once `signal` aborts. A source that drops a subscriber
   * for falling behind calls `dropped` at once: a reader that stopped reading never pulls the
   * error, so the response ends here instead.
   */
  readonly open: (signal: AbortSignal, dropped: (error: unknown) => void) => AsyncGenerator<T>;
  readonly frame: (item: T) => Uint8Array;
  /**
   * Wait for the first item before answering, so that an error there (unknown schema, …) is an
   * ordinary JSON error with its status. Only for sources whose first item comes at once.
   */
  readonly awaitFirst?: boolean;
  /** A comment line this often keeps proxies from closing an idle stream (default 15 s). */
  readonly pingMs?: number;
}

/**
 * Serves an async source as Server-Sent Events. Items are pulled
 * only when the socket takes more, so a slow reader is handled by the source's own bounded queue
 * (views conflate, the delta stream drops the subscriber); an error after the start is sent as an
 * `error` event carrying the usual `{ "error": … }` body, and the stream ends. A dropped
 * subscriber whose reader stopped reading has its connection closed instead.
 */
export async function respondWithEvents<T>(
  c: Context,
  options: EventStreamOptions<T>,
): Promise<Response> {
  const controller = new AbortController();
  const onClientGone = () => controller.abort();
  c.req.raw.signal.addEventListener('abort', onClientGone, { once: true });
  let drop: (error: unknown) => void = () => {};
  const source = options.open(controller.signal, (error) => drop(error));
  let first: IteratorResult<T, unknown> | undefined;
  if (options.awaitFirst === true) {
    try {
      first = await source.next();
    } catch (error) {
      c.req.raw.signal.removeEventListener('abort', onClientGone);
      throw error;
    }
  }
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    clearInterval(timer);
    c.req.raw.signal.removeEventListener('abort', onClientGone);
    controller.abort();
    // A source suspended at a yield (its reader left, or stopped reading) runs its cleanup only
    // when returned; one still running returns once the abort ends it.
    source.return(undefined).catch(() => {});
  };
  const stream = new ReadableStream<Uint8Array>({
    start(sink) {
      sink.enqueue(OPENED);
      if (first?.done === true) {
        stop();
        sink.close();
        return;
      }
      if (first !== undefined) sink.enqueue(options.frame(first.value));
      timer = setInterval(() => {
        if ((sink.desiredSize ?? 0) > 0) sink.enqueue(PING);
      }, options.pingMs ?? 15_000);
    },
    async pull(sink) {
      try {
        const next = await source.next();
        if (controller.signal.aborted && next.done === true) return; // cancelled: nothing to send
        if (next.done === true) {
          stop();
          sink.close();
        } else sink.enqueue(options.frame(next.value));
      } catch (error) {
        stop();
        sink.enqueue(errorFrame(error));
        sink.close();
      }
    },
    cancel() {
      stop();
    },
  });
  const droppable = createDroppableBody(stream, connectionOf(c));
  drop = (error) => {
    if (droppable.drop(error)) stop();
  };
  return new Response(droppable.body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    },
  });
}
