import autocannon from 'autocannon';

export interface LoadResult {
  /** Successful (2xx) requests per second. */
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  /** Non-2xx answers plus connection errors and timeouts. */
  readonly failed: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** Called for every request: a new path and/or body each time. */
  readonly next?: () => { path?: string; body?: string };
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const { next } = options;
  const result = await autocannon({
    url: options.url,
    duration: options.seconds,
    connections: options.connections,
    method: options.method ?? 'GET',
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    // autocannon replays a fixed request buffer unless a request has setupRequest; this is
    // what keeps every write distinct (a repeated delta would be a cheap "duplicate").
    ...(next === undefined
      ? {}
      : { requests: [{ setupRequest: (request) => ({ ...request, ...next() }) }] }),
  });
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}
