import type { Context } from 'hono';

/** What the Node adapter (`@hono/node-server`) puts on `c.env`: the response being written. */
interface NodeConnection {
  destroy(): void;
}

/**
 * The Node response behind `c`, when the app runs on `@hono/node-server` (not under
 * `app.request()` in tests).
 */
export function connectionOf(c: Context): NodeConnection | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  if (typeof outgoing !== 'object' || outgoing === null) return undefined;
  return typeof (outgoing as NodeConnection).destroy === 'function'
    ? (outgoing as NodeConnection)
    : undefined;
}

export interface DroppableBody {
  readonly body: ReadableStream<Uint8Array>;
  /**
   * The node dropped this response's subscriber for falling behind. If the reader is waiting for
   * data, the stream itself carries the error to it and ends. Otherwise the reader stopped
   * reading (the adapter waits for a socket drain that never comes) and nothing more can be said
   * on this connection: destroy it, which frees its buffers and makes the adapter cancel the
   * stream; without a Node connection, error the stream. True when it ended the response here.
   */
  drop(error: unknown): boolean;
}

/**
 * Passes a streaming response body through, knowing whether its reader is asking for more.
 * `highWaterMark: 0` pulls only for a pending read, so "not pulling" means "not reading".
 */
export function createDroppableBody(
  inner: ReadableStream<Uint8Array>,
  connection: NodeConnection | undefined,
): DroppableBody {
  const reader = inner.getReader();
  let pulling = false;
  let ended = false;
  let sink: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        sink = controller;
      },
      async pull(controller) {
        pulling = true;
        try {
          const next = await reader.read();
          if (ended) return;
          if (next.done) {
            ended = true;
            controller.close();
          } else controller.enqueue(next.value);
        } catch (error) {
          if (!ended) {
            ended = true;
            controller.error(error);
          }
        } finally {
          pulling = false;
        }
      },
      cancel(reason) {
        ended = true;
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    body,
    drop(error) {
      if (ended || pulling) return false;
      ended = true;
      if (connection !== undefined) {
        // The adapter hears the socket close and cancels the body (and with it the source).
        connection.destroy();
        return true;
      }
      sink?.error(error);
      reader.cancel(error).catch(() => {});
      return true;
    },
  };
}
