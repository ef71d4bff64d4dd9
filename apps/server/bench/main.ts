// `pnpm bench` in apps/server: the node over HTTP against a bare Hono hello-world (the ceiling),
// on PGlite and on PostgreSQL, plus SSE fan-out. See docs/benchmarks.md for the method.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { fanout, type FanoutResult, type SubscriberKind } from './fanout.ts';
import { load, type LoadResult } from './load.ts';
import { startChild, type Child } from './processes.ts';
import { progress, residentMiB } from './measure.ts';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function envList(name: string, fallback: readonly string[]): string[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return [...fallback];
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const SECONDS = envInt('RHIZOME_BENCH_SECONDS', 10);
const CONNECTIONS = envInt('RHIZOME_BENCH_CONNECTIONS', 32);
const BATCH = envInt('RHIZOME_BENCH_BATCH', 100);
const BATCH_CONNECTIONS = envInt('RHIZOME_BENCH_BATCH_CONNECTIONS', 8);
const ENTITIES = envInt('RHIZOME_BENCH_ENTITIES', 10_000);
const SUBSCRIBERS = envList('RHIZOME_BENCH_SUBSCRIBERS', ['1000', '2000', '5000']).map(Number);
const FANOUT_WRITES = envInt('RHIZOME_BENCH_FANOUT_WRITES', 20);
// Each level runs every kind in turn, so the REST stream is compared with tRPC in the same run.
const FANOUT_KINDS: readonly SubscriberKind[] =
  process.env.RHIZOME_BENCH_FANOUT_CLIENT === '1'
    ? ['client']
    : (envList('RHIZOME_BENCH_FANOUT_KINDS', ['raw-sse', 'rest-sse']) as SubscriberKind[]);
const BACKENDS = envList('RHIZOME_BENCH_BACKENDS', ['pglite', 'postgres']);
const FANOUT_ON = process.env.RHIZOME_BENCH_FANOUT_ON ?? 'pglite';
const DATABASE_URL =
  process.env.RHIZOME_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// `fanout` skips the HTTP load measures (and the hello-world ceiling) to probe subscriber limits;
// `single` measures the ceiling and single-delta writes only.
const ONLY = process.env.RHIZOME_BENCH_ONLY ?? 'all';
const LOG_LEVEL = process.env.RHIZOME_BENCH_LOG_LEVEL ?? 'warn';

const TOKEN = 'bench-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_HEADERS = { ...AUTH, 'content-type': 'application/json' };
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

// Each delta sets one property to a counter value: no two are alike, so none is a "duplicate".
let sequence = 0;
function deltaJson(entity: string, property: string, value: string | number): string {
  return `{"pointers":[{"localContext":"entity","target":{"id":${JSON.stringify(entity)}},"targetContext":${JSON.stringify(property)}},{"localContext":${JSON.stringify(property)},"target":${JSON.stringify(value)}}]}`;
}
function nextDelta(): string {
  const n = sequence++;
  return deltaJson(`w${n % 1000}`, 'count', n);
}
function nextBatch(size: number): string {
  const deltas: string[] = [];
  for (let i = 0; i < size; i++) deltas.push(nextDelta());
  return `{"deltas":[${deltas.join(',')}]}`;
}

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(`${url}/api/deltas`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body,
  });
  if (!response.ok)
    throw new Error(`POST /api/deltas: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

interface Row {
  readonly target: string;
  readonly measure: string;
  readonly rate: string;
  readonly p50: string;
  readonly p99: string;
  readonly ceiling: string;
  readonly failed: string;
}
const rows: Row[] = [];
const notes: string[] = [];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
// autocannon reports whole milliseconds; the fan-out times are finer.
const ms = (n: number) => (Number.isInteger(n) ? String(n) : n < 10 ? n.toFixed(2) : n.toFixed(1));
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

interface Ceiling {
  readonly get: LoadResult;
  readonly post: LoadResult;
}

async function measureCeiling(hello: Child, label: string): Promise<Ceiling> {
  progress(`hello-world GET / (${SECONDS} s, ${CONNECTIONS} connections)`);
  await load({ url: hello.url, seconds: 1, connections: CONNECTIONS });
  const get = await load({ url: hello.url, seconds: SECONDS, connections: CONNECTIONS });
  progress(`hello-world POST /echo (JSON.parse of a one-delta body)`);
  const post = await load({
    url: `${hello.url}/echo`,
    seconds: SECONDS,
    connections: CONNECTIONS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    next: () => ({ body: nextDelta() }),
  });
  for (const [measure, result] of [
    ['GET / (req/s)', get],
    ['POST /echo (req/s)', post],
  ] as const) {
    rows.push({
      target: `hello (${label})`,
      measure,
      rate: fmt(result.requestsPerSecond),
      p50: ms(result.p50),
      p99: ms(result.p99),
      ceiling: '100 %',
      failed: String(result.failed),
    });
  }
  return { get, post };
}

async function benchNode(
  backend: string,
  node: Child,
  ceiling: Ceiling | undefined,
): Promise<void> {
  const url = node.url;
  if (ceiling === undefined) {
    if (backend === FANOUT_ON) await benchFanout(backend, url);
    return;
  }
  progress(`${backend}: warm-up`);
  await load({
    url: `${url}/api/deltas`,
    seconds: 2,
    connections: CONNECTIONS,
    method: 'POST',
    headers: JSON_HEADERS,
    next: () => ({ body: nextDelta() }),
  });

  progress(`${backend}: single-delta POST (${SECONDS} s, ${CONNECTIONS} connections)`);
  const single = await load({
    url: `${url}/api/deltas`,
    seconds: SECONDS,
    connections: CONNECTIONS,
    method: 'POST',
    headers: JSON_HEADERS,
    next: () => ({ body: nextDelta() }),
  });
  rows.push({
    target: backend,
    measure: 'POST /api/deltas, 1 delta (deltas/s)',
    rate: fmt(single.requestsPerSecond),
    p50: ms(single.p50),
    p99: ms(single.p99),
    ceiling: pct(single.requestsPerSecond, ceiling.post.requestsPerSecond),
    failed: String(single.failed),
  });
  // Issue 17 goal 5: ≥ 25 % of POST /echo, p99 < 20 ms.
  if (ONLY === 'single') return;

  progress(
    `${backend}: batched POST, ${BATCH} deltas (${SECONDS} s, ${BATCH_CONNECTIONS} connections)`,
  );
  const batch = await load({
    url: `${url}/api/deltas`,
    seconds: SECONDS,
    connections: BATCH_CONNECTIONS,
    method: 'POST',
    headers: JSON_HEADERS,
    next: () => ({ body: nextBatch(BATCH) }),
  });
  rows.push({
    target: backend,
    measure: `POST /api/deltas, ${BATCH} per request (deltas/s; latency per request)`,
    rate: fmt(batch.requestsPerSecond * BATCH),
    p50: ms(batch.p50),
    p99: ms(batch.p99),
    ceiling: `${pct(batch.requestsPerSecond * BATCH, ceiling.post.requestsPerSecond)} (deltas vs req)`,
    failed: String(batch.failed),
  });

  progress(`${backend}: populating ${fmt(ENTITIES)} entities (2 deltas × 4 properties each)`);
  const perRequest = 500;
  for (let from = 0; from < ENTITIES * 2; from += perRequest) {
    const deltas: string[] = [];
    for (let i = from; i < Math.min(ENTITIES * 2, from + perRequest); i++) {
      const entity = `e${i % ENTITIES}`;
      const round = Math.floor(i / ENTITIES);
      deltas.push(
        `{"pointers":[${['name', 'age', 'city', 'score']
          .flatMap((property) => [
            `{"localContext":"entity","target":{"id":"${entity}"},"targetContext":"${property}"}`,
            `{"localContext":"${property}","target":${JSON.stringify(property === 'name' || property === 'city' ? `${property}-${i}` : i + round)}}`,
          ])
          .join(',')}]}`,
      );
    }
    await post(url, `{"deltas":[${deltas.join(',')}]}`);
  }

  progress(`${backend}: GET /healthz (${SECONDS} s, ${CONNECTIONS} connections)`);
  const health = await load({ url: `${url}/healthz`, seconds: SECONDS, connections: CONNECTIONS });
  rows.push({
    target: backend,
    measure: 'GET /healthz: the middleware alone (req/s)',
    rate: fmt(health.requestsPerSecond),
    p50: ms(health.p50),
    p99: ms(health.p99),
    ceiling: pct(health.requestsPerSecond, ceiling.get.requestsPerSecond),
    failed: String(health.failed),
  });

  progress(`${backend}: GET /api/entities/:id (${SECONDS} s, ${CONNECTIONS} connections)`);
  const view = await load({
    url,
    seconds: SECONDS,
    connections: CONNECTIONS,
    headers: AUTH,
    next: () => ({ path: `/api/entities/e${Math.floor(Math.random() * ENTITIES)}` }),
  });
  rows.push({
    target: backend,
    measure: 'GET /api/entities/:id (req/s)',
    rate: fmt(view.requestsPerSecond),
    p50: ms(view.p50),
    p99: ms(view.p99),
    ceiling: pct(view.requestsPerSecond, ceiling.get.requestsPerSecond),
    failed: String(view.failed),
  });

  if (backend === FANOUT_ON) await benchFanout(backend, url);
}

async function openSubscriptions(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^rhizome_subscriptions (\d+)/m.exec(text);
  return match === null ? undefined : Number(match[1]);
}

async function benchFanout(backend: string, url: string): Promise<void> {
  const entity = 'hot';
  await post(url, deltaJson(entity, 'v', 'initial'));
  for (const n of SUBSCRIBERS) {
    const lastP50 = new Map<SubscriberKind, number | undefined>();
    let failed = false;
    for (const FANOUT_KIND of FANOUT_KINDS) {
      progress(
        `${backend}: fan-out to ${fmt(n)} ${FANOUT_KIND} subscribers, ${FANOUT_WRITES} writes`,
      );
      let result: FanoutResult;
      const rssBefore = await residentMiB(url);
      let rssLive: number | undefined;
      try {
        result = await fanout(
          {
            url,
            token: TOKEN,
            entity,
            subscribers: n,
            writes: FANOUT_WRITES,
            kind: FANOUT_KIND,
            progress,
            onLive: async () => {
              rssLive = await residentMiB(url);
            },
          },
          (value) => post(url, deltaJson(entity, 'v', value)),
        );
      } catch (error) {
        result = {
          subscribers: n,
          connected: 0,
          last: [],
          first: [],
          ack: [],
          failure: String(error),
        };
      }
      const ok = result.failure === undefined;
      // What one held subscriber costs the node, to extrapolate past this machine's fd limit.
      if (rssLive !== undefined)
        notes.push(
          `fan-out to ${fmt(n)} ${FANOUT_KIND}: node RSS ${rssBefore.toFixed(0)} → ${rssLive.toFixed(0)} MiB with all live, ${((1024 * (rssLive - rssBefore)) / n).toFixed(1)} KiB per subscriber; write → last notified p50 ${ms(quantile(result.last, 0.5))} ms = ${ms((quantile(result.last, 0.5) / n) * 1000)} µs per subscriber`,
        );
      rows.push({
        target: backend,
        measure: `fan-out, ${fmt(n)} ${FANOUT_KIND} subscribers: write → last notified (ms)${ok ? '' : ' FAILED'}`,
        rate: ok ? `${result.last.length} writes` : `${fmt(result.connected)} connected`,
        p50: ms(quantile(result.last, 0.5)),
        p99: ms(quantile(result.last, 0.99)),
        ceiling: `p50: POST answered ${ms(quantile(result.ack, 0.5))} ms, first notified ${ms(quantile(result.first, 0.5))} ms`,
        failed: ok ? '0' : 'see note',
      });
      // The server must let go of every closed stream; a count that stays up would be a leak.
      let open: number | undefined;
      for (let i = 0; i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        open = await openSubscriptions(url).catch(() => undefined);
        if (open === 0) break;
      }
      if (open !== 0)
        notes.push(
          `after closing ${n} subscribers the node still reported ${open} open subscriptions`,
        );
      lastP50.set(FANOUT_KIND, ok ? quantile(result.last, 0.5) : undefined);
      if (!ok) {
        notes.push(
          `fan-out limit: ${fmt(n)} ${FANOUT_KIND} subscribers failed (${result.failure})`,
        );
        failed = true;
        break;
      }
    }
    const trpc = lastP50.get('raw-sse');
    const rest = lastP50.get('rest-sse');
    if (trpc !== undefined && rest !== undefined && trpc > 0)
      notes.push(
        `fan-out to ${fmt(n)}: REST SSE write → last notified p50 is ${(rest / trpc).toFixed(2)}× tRPC SSE's (${ms(rest)} vs ${ms(trpc)} ms)`,
      );
    if (failed) break;
  }
}

async function startNode(
  backend: string,
  cleanups: (() => Promise<void>)[],
): Promise<Child | undefined> {
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    RHIZOME_TOKENS: `${TOKEN}=bench:read+write`,
    RHIZOME_NODE_ID: 'bench',
    LOG_LEVEL,
    // Every subscriber of the fan-out comes from 127.0.0.1.
    RHIZOME_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
  };
  if (backend === 'pglite') {
    const dir = await mkdtemp(join(tmpdir(), 'rhizome-bench-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    env.RHIZOME_DATA_DIR = join(dir, 'pglite');
  } else if (backend === 'postgres') {
    const schema = `rhizome_bench_${process.pid}`;
    const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      await sql`select 1`;
    } catch (error) {
      await sql.end();
      notes.push(`postgres skipped: ${DATABASE_URL} did not answer (${String(error)})`);
      return undefined;
    }
    cleanups.push(async () => {
      await sql.unsafe(`drop schema if exists ${schema} cascade`);
      await sql.end();
    });
    env.DATABASE_URL = DATABASE_URL;
    env.RHIZOME_DATABASE_SCHEMA = schema;
  } else {
    throw new Error(`unknown backend ${backend} (RHIZOME_BENCH_BACKENDS: pglite, postgres)`);
  }
  progress(`${backend}: starting the node`);
  // RHIZOME_BENCH_CPU_PROF_DIR: the node runs with --cpu-prof, its profile written there at stop.
  const profileDir = process.env.RHIZOME_BENCH_CPU_PROF_DIR;
  const node = await startChild(
    'src/main.ts',
    env,
    '/readyz',
    serverDir,
    profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  );
  cleanups.push(() => node.stop());
  return node;
}

function printTable(): void {
  const header: Row = {
    target: 'target',
    measure: 'measure',
    rate: 'rate',
    p50: 'p50 ms',
    p99: 'p99 ms',
    ceiling: 'vs hello-world',
    failed: 'failed',
  };
  const all = [header, ...rows];
  const keys = Object.keys(header) as (keyof Row)[];
  const widths = keys.map((key) => Math.max(...all.map((row) => row[key].length)));
  const line = (row: Row) =>
    `| ${keys.map((key, i) => (i >= 2 && i <= 4 ? row[key].padStart(widths[i]!) : row[key].padEnd(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of rows) console.log(line(row));
  for (const note of notes) console.log(`- ${note}`);
}

async function main(): Promise<void> {
  progress(
    `${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ` +
      `${SECONDS} s per measure, ${CONNECTIONS} connections (${BATCH_CONNECTIONS} for batches)`,
  );
  const cleanups: (() => Promise<void>)[] = [];
  let failure: unknown;
  try {
    progress('starting the hello-world server');
    const hello = await startChild('bench/hello-server.ts', {}, '/', serverDir);
    cleanups.push(() => hello.stop());
    for (const backend of BACKENDS) {
      const ceiling =
        ONLY === 'fanout' ? undefined : await measureCeiling(hello, `before ${backend}`);
      const local: (() => Promise<void>)[] = [];
      try {
        const node = await startNode(backend, local);
        if (node !== undefined) await benchNode(backend, node, ceiling);
      } finally {
        for (const cleanup of local.reverse())
          await cleanup().catch((error: unknown) => notes.push(String(error)));
      }
    }
  } catch (error) {
    failure = error;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
  printTable();
  progress(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (failure !== undefined) throw failure;
}

const interrupt = () => {
  // The 'exit' hook in processes.ts kills the children still running.
  process.exit(130);
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

await main();
