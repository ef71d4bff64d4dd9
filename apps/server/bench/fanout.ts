import { request, type ClientRequest } from 'node:http';
import { createClient } from '@rhizome/client';

/**
 * `raw-sse`: tRPC `entities.watch` over a plain SSE GET; `rest-sse`: the REST stream
 * `GET /api/entities/:id/watch` (one encoded frame shared by all subscribers); `client`:
 * `@rhizome/client` subscriptions.
 */
export type SubscriberKind = 'raw-sse' | 'rest-sse' | 'client';

export interface FanoutOptions {
  readonly url: string;
  readonly token: string;
  readonly entity: string;
  readonly subscribers: number;
  readonly writes: number;
  readonly kind: SubscriberKind;
  readonly progress: (line: string) => void;
  /** Called once every subscriber is live, before the first write (e.g. to sample memory). */
  readonly onLive?: () => Promise<void>;
}

export interface FanoutResult {
  readonly subscribers: number;
  readonly connected: number;
  /** Write sent → last subscriber notified, one per write (ms). */
  readonly last: readonly number[];
  /** Write sent → first subscriber notified (ms). */
  readonly first: readonly number[];
  /** Write sent → its POST answered (ms). */
  readonly ack: readonly number[];
  /** Why the level failed, if it did. */
  readonly failure: string | undefined;
}

interface Subscriber {
  /** Resolves on the first view (the subscription is live). */
  readonly ready: Promise<void>;
  close(): void;
}

const CONNECT_TIMEOUT_MS = 60_000;
const NOTIFY_TIMEOUT_MS = 30_000;
const OPEN_CONCURRENCY = 100;

/**
 * One watcher per entity view, as a plain SSE GET on its own socket: a few kB per subscriber
 * in the bench process, so that the load generator is not what runs out first.
 */
function rawSubscriber(
  options: FanoutOptions,
  onChunk: (text: string) => void,
  onEnd: (reason: string) => void,
): Subscriber {
  const base = new URL(options.url);
  const input = encodeURIComponent(JSON.stringify({ id: options.entity }));
  let req: ClientRequest | undefined;
  let ended = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    onEnd(reason);
  };
  const ready = new Promise<void>((resolve, reject) => {
    req = request(
      {
        host: base.hostname,
        port: base.port,
        path:
          options.kind === 'rest-sse'
            ? `/api/entities/${encodeURIComponent(options.entity)}/watch`
            : `/trpc/entities.watch?input=${input}`,
        agent: false,
        headers: { accept: 'text/event-stream', authorization: `Bearer ${options.token}` },
      },
      (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`HTTP ${response.statusCode}`));
          response.resume();
          return;
        }
        response.setEncoding('utf8');
        // A chunk boundary could cut a marker in two; keep a short tail of the previous chunk.
        let tail = '';
        response.on('data', (chunk: string) => {
          const text = tail + chunk;
          tail = text.slice(-64);
          if (text.includes('data: {"id"')) resolve();
          onChunk(text);
        });
        response.on('end', () => end('stream ended by the server'));
        response.on('error', (error) => end(error.message));
      },
    );
    req.on('error', (error) => {
      reject(error);
      end(error.message);
    });
    req.end();
  });
  return {
    ready,
    close: () => {
      ended = true;
      req?.destroy();
    },
  };
}

/** The same through @rhizome/client (tRPC httpSubscriptionLink + EventSource over fetch). */
function clientSubscriber(
  options: FanoutOptions,
  onChunk: (text: string) => void,
  onEnd: (reason: string) => void,
): Subscriber {
  const client = createClient({ url: options.url, token: options.token });
  let subscription: { unsubscribe(): void } | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    subscription = client.entities.watch.subscribe(
      { id: options.entity },
      {
        onData: (view) => {
          resolve();
          onChunk(JSON.stringify(view));
        },
        onError: (error) => {
          reject(error);
          onEnd(error.message);
        },
        onComplete: () => onEnd('completed'),
      },
    );
  });
  return { ready, close: () => subscription?.unsubscribe() };
}

/**
 * Opens `subscribers` watchers of one entity, then writes `writes` times a new value to it and
 * times how long the last watcher takes to see it. Writes are sequential: each waits until
 * every watcher has the previous value.
 */
export async function fanout(
  options: FanoutOptions,
  write: (marker: string) => Promise<void>,
): Promise<FanoutResult> {
  const n = options.subscribers;
  let marker = '\u0000';
  let writeStarted = 0;
  let notified = 0;
  let firstAt = 0;
  let allNotified: (() => void) | undefined;
  const seen = new Uint8Array(n);
  let lostReason: string | undefined;
  let lost = 0;

  const subscribers: Subscriber[] = [];
  const make = options.kind === 'client' ? clientSubscriber : rawSubscriber;
  const closeAll = () => {
    for (const subscriber of subscribers) subscriber.close();
  };
  const result = (
    connected: number,
    last: number[],
    first: number[],
    failure: string | undefined,
  ): FanoutResult => ({ subscribers: n, connected, last, first, ack, failure });
  const ack: number[] = [];

  let connected = 0;
  try {
    const started = performance.now();
    let openFailure: string | undefined;
    for (let from = 0; from < n && openFailure === undefined; from += OPEN_CONCURRENCY) {
      const wave: Promise<void>[] = [];
      for (let i = from; i < Math.min(n, from + OPEN_CONCURRENCY); i++) {
        const subscriber = make(
          options,
          (text) => {
            if (seen[i] === 0 && text.includes(marker)) {
              seen[i] = 1;
              notified++;
              if (notified === 1) firstAt = performance.now();
              if (notified === n) allNotified?.();
            }
          },
          (reason) => {
            lost++;
            lostReason ??= reason;
          },
        );
        subscribers.push(subscriber);
        wave.push(subscriber.ready.then(() => void connected++));
      }
      const timeout = new Promise<string>((resolve) =>
        setTimeout(() => resolve('timed out'), CONNECT_TIMEOUT_MS).unref(),
      );
      const settled = await Promise.race([
        Promise.allSettled(wave).then((outcomes) => {
          const rejected = outcomes.find((o) => o.status === 'rejected');
          return rejected === undefined ? undefined : String(rejected.reason);
        }),
        timeout,
      ]);
      openFailure = settled;
      if (from % 1000 === 0 && from > 0) options.progress(`  ${from} subscribers connected`);
    }
    if (openFailure !== undefined) {
      return result(connected, [], [], `opening subscriber ${connected + 1}: ${openFailure}`);
    }
    options.progress(
      `  ${n} subscribers live in ${((performance.now() - started) / 1000).toFixed(1)} s; writing`,
    );
    await options.onLive?.();

    const last: number[] = [];
    const first: number[] = [];
    for (let w = 0; w < options.writes; w++) {
      if (lost > 0) {
        return result(connected, last, first, `${lost} subscribers lost: ${lostReason}`);
      }
      seen.fill(0);
      notified = 0;
      marker = `"v":"m${n}-${w}-${Date.now()}"`;
      const done = new Promise<boolean>((resolve) => {
        allNotified = () => resolve(true);
        setTimeout(() => resolve(false), NOTIFY_TIMEOUT_MS).unref();
      });
      writeStarted = performance.now();
      await write(marker.slice(5, -1));
      ack.push(performance.now() - writeStarted);
      if (!(await done)) {
        return result(
          connected,
          last,
          first,
          `only ${notified} of ${n} notified within ${NOTIFY_TIMEOUT_MS / 1000} s`,
        );
      }
      last.push(performance.now() - writeStarted);
      first.push(firstAt - writeStarted);
    }
    return result(connected, last, first, undefined);
  } finally {
    closeAll();
  }
}
