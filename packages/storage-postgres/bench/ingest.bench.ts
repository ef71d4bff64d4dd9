// Storage benchmark. Ingests N small deltas (default 1M) into real PostgreSQL through the store,
// then COPYs the same rows in the same run into bare tables (delta and pointer rows; delta rows
// only) and into copies of the store's indexed tables, and reports the ratios, by wall time and
// by CPU time. Also: PGlite ingest, hyperview load (p50/p99), counts()/entities() and the
// changes-feed read rate.
//
//   pnpm --filter @rhizome/storage-postgres bench
//   RHIZOME_BENCH_N=100000 RHIZOME_BENCH_PGLITE_N=20000 DATABASE_URL=postgres://… pnpm … bench
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Vocabulary, createDeltaBuilder, type Delta } from '@rhizome/core';
import { listReferencePointers, type DeltaStore } from '@rhizome/storage';
import postgres from 'postgres';
import {
  COPY_DELTAS_COLUMNS,
  COPY_POINTERS_COLUMNS,
  copyField,
  wellFormed,
} from '../src/copy-append.ts';
import { openPostgresStore, quoteIdentifier } from '../src/index.ts';
import { openPgliteStore } from '../src/pglite.ts';

const N = readInt('RHIZOME_BENCH_N', 1_000_000);
const PGLITE_N = readInt('RHIZOME_BENCH_PGLITE_N', Math.min(N, 100_000));
const PLAIN_N = readInt('RHIZOME_BENCH_PLAIN_N', Math.min(N, 200_000));
const BATCH = readInt('RHIZOME_BENCH_BATCH', 10_000);
const URL =
  process.env.DATABASE_URL ??
  process.env.RHIZOME_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'rhizome_bench';
// A tenth of the deltas go to hot entities of 1,000 deltas each, the rest to entities of 10.
const HOT_SHARE = 0.1;

function readInt(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === ''
    ? fallback
    : Number.parseInt(value.replaceAll('_', ''), 10);
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

function entityFor(i: number, n: number): string {
  const hot = Math.max(1, Math.floor((n * HOT_SHARE) / 1_000));
  if (i < n * HOT_SHARE) return `hot-${i % hot}`;
  return `e-${i % Math.max(1, Math.floor((n * (1 - HOT_SHARE)) / 10))}`;
}

function generate(n: number): Delta[] {
  const started = performance.now();
  const out: Delta[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = createDeltaBuilder({
      creator: 'bench',
      host: 'bench-node',
      timeCreated: 1_700_000_000_000 + i,
    })
      .set(entityFor(i, n), { value: i })
      .build();
    if ((i + 1) % 250_000 === 0) log(`  generated ${fmt(i + 1)} deltas`);
  }
  log(
    `generated ${fmt(n)} deltas with the core builder in ${((performance.now() - started) / 1000).toFixed(1)} s (not timed below)`,
  );
  return out;
}

/** Appends in batches with two appends in flight, so validation of one overlaps the write of another. */
async function ingest(store: DeltaStore, deltas: readonly Delta[], label: string): Promise<number> {
  const started = performance.now();
  let next = 0;
  let done = 0;
  let lastReport = started;
  const worker = async () => {
    while (next < deltas.length) {
      const batch = deltas.slice(next, next + BATCH);
      next += BATCH;
      const result = await store.append(batch);
      if (result.inserted.length !== batch.length)
        throw new Error(`${label}: a batch was not all new`);
      done += batch.length;
      if (performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        log(`  ${label}: ${fmt(done)} / ${fmt(deltas.length)}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return performance.now() - started;
}

/**
 * Wall time and CPU time of one phase: Node's (process.cpuUsage) and the server backends' of the
 * connections named `app` (utime + stime from /proc, so only when the server runs on this
 * machine; undefined otherwise). CPU time per delta is the steadier measure on a shared machine.
 */
interface Cost {
  ms: number;
  nodeMs: number;
  serverMs: number | undefined;
}

const addCosts = (a: Cost, b: Cost): Cost => ({
  ms: a.ms + b.ms,
  nodeMs: a.nodeMs + b.nodeMs,
  serverMs:
    a.serverMs === undefined || b.serverMs === undefined ? undefined : a.serverMs + b.serverMs,
});

let probe: postgres.Sql;
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

async function serverCpuMs(app: string): Promise<number | undefined> {
  const rows = await probe.unsafe(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [
    app,
  ]);
  let total = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
    } catch {
      return undefined;
    }
  }
  return total;
}

/**
 * Each timed phase starts from a checkpoint, so that none pays for the writes of the one before
 * it (a checkpoint started by the ingest's WAL would otherwise run during the COPY after it).
 * CHECKPOINT needs superuser or pg_checkpoint; without them phases just follow one another.
 */
async function settle(): Promise<void> {
  try {
    await probe.unsafe('CHECKPOINT');
  } catch {
    // not allowed: measure without
  }
}

async function measured(app: string, work: () => Promise<unknown>): Promise<Cost> {
  await settle();
  const server = await serverCpuMs(app);
  const node = process.cpuUsage();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const nodeUsed = process.cpuUsage(node);
  const serverAfter = await serverCpuMs(app);
  return {
    ms,
    nodeMs: (nodeUsed.user + nodeUsed.system) / 1000,
    serverMs: server === undefined || serverAfter === undefined ? undefined : serverAfter - server,
  };
}

const STORE_APP = 'rhizome_bench_store';
const COPY_APP = 'rhizome_bench_copy';

function withAppName(url: string, app: string): string {
  const parsed = new globalThis.URL(url);
  parsed.searchParams.set('application_name', app);
  return parsed.toString();
}

async function copyInto(
  sql: postgres.Sql,
  table: string,
  columns: string,
  rows: () => Iterable<string>,
): Promise<Cost> {
  return measured(COPY_APP, async () => {
    const writable = await sql.unsafe(`COPY ${SCHEMA}.${table} (${columns}) FROM STDIN`).writable();
    await pipeline(Readable.from(rows()), writable);
  });
}

// COPY text as lean as a loader can make it (the store's field escaping, nothing else); seq is
// numbered 1, 2, … in COPY order, as the store would.
function* deltaLines(deltas: readonly Delta[]) {
  for (let i = 0; i < deltas.length; i += 1_000) {
    let chunk = '';
    deltas.slice(i, i + 1_000).forEach((d, j) => {
      const body = JSON.stringify(d);
      chunk += `${d.id}\t${i + j + 1}\t${body.includes('\\') ? body.replaceAll('\\', '\\\\') : body}\n`;
    });
    yield chunk;
  }
}

function* pointerLines(deltas: readonly Delta[]) {
  for (let i = 0; i < deltas.length; i += 1_000) {
    let chunk = '';
    deltas.slice(i, i + 1_000).forEach((d, j) => {
      for (const p of listReferencePointers(d)) {
        const context = p.targetContext === null ? '\\N' : copyField(wellFormed(p.targetContext));
        chunk += `${i + j + 1}\t${copyField(wellFormed(p.targetId))}\t${context}\t${d.timeCreated}\t${p.position}\t${copyField(wellFormed(p.localContext))}\n`;
      }
    });
    yield chunk;
  }
}

/**
 * COPY of the same rows into bare tables: the delta rows (id, seq, body, received_at: exactly the
 * columns of rhizome_deltas) and, unless `deltasOnly`, the pointer rows (the columns of
 * rhizome_pointers), with no key and no index. With the pointer rows this is the baseline the
 * target is stated against: the same data the store writes, minus what makes it a store.
 */
async function copyBare(
  sql: postgres.Sql,
  deltas: readonly Delta[],
  deltasOnly: boolean,
): Promise<Cost> {
  await sql.unsafe(
    `CREATE TABLE ${SCHEMA}.bare_deltas (LIKE ${SCHEMA}.rhizome_deltas INCLUDING DEFAULTS)`,
  );
  await sql.unsafe(`CREATE TABLE ${SCHEMA}.bare_pointers (LIKE ${SCHEMA}.rhizome_pointers)`);
  let cost = await copyInto(sql, 'bare_deltas', COPY_DELTAS_COLUMNS, () => deltaLines(deltas));
  if (!deltasOnly)
    cost = addCosts(
      cost,
      await copyInto(sql, 'bare_pointers', COPY_POINTERS_COLUMNS, () => pointerLines(deltas)),
    );
  const [row] = await sql.unsafe(`SELECT count(*)::int AS n FROM ${SCHEMA}.bare_deltas`);
  if (row?.n !== deltas.length)
    throw new Error(`COPY stored ${row?.n} rows, expected ${deltas.length}`);
  await sql.unsafe(`DROP TABLE ${SCHEMA}.bare_deltas, ${SCHEMA}.bare_pointers`);
  return cost;
}

/**
 * COPY of the same rows, pointer rows included, into copies of the store's own tables with all
 * their indexes: what any loader pays for the indexes, without validation, dedup, atomicity or
 * the entity list and totals the store keeps.
 */
async function copyIndexed(sql: postgres.Sql, deltas: readonly Delta[]): Promise<Cost> {
  await sql.unsafe(
    `CREATE TABLE ${SCHEMA}.copy_deltas (LIKE ${SCHEMA}.rhizome_deltas INCLUDING ALL)`,
  );
  await sql.unsafe(
    `CREATE TABLE ${SCHEMA}.copy_pointers (LIKE ${SCHEMA}.rhizome_pointers INCLUDING ALL)`,
  );
  const cost = addCosts(
    await copyInto(sql, 'copy_deltas', COPY_DELTAS_COLUMNS, () => deltaLines(deltas)),
    await copyInto(sql, 'copy_pointers', COPY_POINTERS_COLUMNS, () => pointerLines(deltas)),
  );
  await sql.unsafe(`DROP TABLE ${SCHEMA}.copy_deltas, ${SCHEMA}.copy_pointers`);
  return cost;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function timeHyperviews(
  store: DeltaStore,
  entities: readonly string[],
  runs: number,
  expected: number,
) {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const entity = entities[(r * 7919) % entities.length]!;
    const started = performance.now();
    const rows = await store.hyperview(entity);
    times.push(performance.now() - started);
    if (rows.length !== expected)
      throw new Error(`hyperview of ${entity}: ${rows.length} rows, expected ${expected}`);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function medianMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

async function readFeed(store: DeltaStore): Promise<{ count: number; ms: number }> {
  const started = performance.now();
  let cursor = 0;
  let count = 0;
  for (;;) {
    const page = await store.changes({ after: cursor, limit: 10_000 });
    count += page.entries.length;
    cursor = page.cursor;
    if (!page.hasMore) break;
  }
  return { count, ms: performance.now() - started };
}

/**
 * The deltas above come from core's builder, so the store knows them as checked and does not hash
 * them again (see parseDeltaWithJson). Deltas that arrive as plain objects, as JSON.parse makes
 * them, are validated and hashed in the append: this phase measures that path, into a fresh
 * schema, on the first PLAIN_N deltas.
 */
async function ingestPlain(built: readonly Delta[]): Promise<void> {
  if (built.length === 0) return;
  const plain = JSON.parse(JSON.stringify(built)) as Delta[];
  const schema = `${SCHEMA}_plain`;
  const app = `${STORE_APP}_plain`;
  await probe.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  const store = await openPostgresStore({ url: withAppName(URL, app), schema, max: 4 });
  try {
    const cost = await measured(app, () => ingest(store, plain, 'plain ingest'));
    const us = (ms: number) => ((ms * 1000) / plain.length).toFixed(1);
    log(
      `PostgreSQL ingest of ${fmt(plain.length)} plain objects (validated and hashed in the append): ${fmt(rate(plain.length, cost.ms))} deltas/s; CPU per delta: Node ${us(cost.nodeMs)} µs + server ${cost.serverMs === undefined ? 'n/a' : us(cost.serverMs)} µs`,
    );
  } finally {
    await store.close();
    await probe.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  }
}

async function main(): Promise<void> {
  log(
    `@rhizome/storage-postgres bench: N=${fmt(N)}, batch ${fmt(BATCH)}, PGlite N=${fmt(PGLITE_N)}`,
  );
  const deltas = generate(N);

  probe = postgres(URL, { max: 1, onnotice: () => {} });
  const admin = postgres(withAppName(URL, COPY_APP), { max: 2, onnotice: () => {} });
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(SCHEMA)} CASCADE`);
  const store = await openPostgresStore({
    url: withAppName(URL, STORE_APP),
    schema: SCHEMA,
    max: 4,
  });
  try {
    const ingestCost = await measured(STORE_APP, () => ingest(store, deltas, 'postgres ingest'));
    const bare = await copyBare(admin, deltas, false);
    const bareDeltas = await copyBare(admin, deltas, true);
    const indexed = await copyIndexed(admin, deltas);
    const line = (label: string, cost: Cost) => {
      const us = (ms: number) => ((ms * 1000) / N).toFixed(1);
      const server = cost.serverMs === undefined ? 'n/a' : us(cost.serverMs);
      const total = cost.serverMs === undefined ? undefined : cost.nodeMs + cost.serverMs;
      log(
        `${label}: ${fmt(rate(N, cost.ms))} deltas/s (${(cost.ms / 1000).toFixed(1)} s); CPU per delta: Node ${us(cost.nodeMs)} µs + server ${server} µs${total === undefined ? '' : ` = ${us(total)} µs`}`,
      );
    };
    line(`PostgreSQL ingest (store.append, batches of ${fmt(BATCH)})`, ingestCost);
    line('raw COPY into bare tables (delta + pointer rows, no index)', bare);
    line('raw COPY into a bare table (delta rows only, no index)', bareDeltas);
    line("raw COPY into copies of the store's tables and indexes", indexed);
    const ratio = (baseline: Cost) => {
      const wall = `${((baseline.ms * 100) / ingestCost.ms).toFixed(0)}%`;
      if (ingestCost.serverMs === undefined || baseline.serverMs === undefined) return wall;
      const cpu =
        ((baseline.nodeMs + baseline.serverMs) * 100) / (ingestCost.nodeMs + ingestCost.serverMs);
      return `${wall} (by CPU time: ${cpu.toFixed(0)}%)`;
    };
    log(
      `ratio ingest / bare COPY: ${ratio(bare)} (target >= 50%); / bare COPY of delta rows only: ${ratio(bareDeltas)}; / indexed COPY: ${ratio(indexed)}`,
    );

    await admin.unsafe(
      `ANALYZE ${SCHEMA}.rhizome_deltas, ${SCHEMA}.rhizome_pointers, ${SCHEMA}.rhizome_entities`,
    );
    const hotCount = Math.floor((N * HOT_SHARE) / 1_000);
    const coldCount = Math.floor((N * (1 - HOT_SHARE)) / 10);
    if (hotCount > 0) {
      const hot = Array.from({ length: hotCount }, (_, i) => `hot-${i}`);
      const cold = Array.from({ length: coldCount }, (_, i) => `e-${i}`);
      const h10 = await timeHyperviews(store, cold, 1_000, 10);
      const h1000 = await timeHyperviews(store, hot, 200, 1_000);
      log(
        `hyperview, 10 deltas (store of ${fmt(N)}):    p50 ${h10.p50.toFixed(2)} ms, p99 ${h10.p99.toFixed(2)} ms`,
      );
      log(
        `hyperview, 1,000 deltas (store of ${fmt(N)}): p50 ${h1000.p50.toFixed(2)} ms, p99 ${h1000.p99.toFixed(2)} ms`,
      );
    }
    const countsMs = await medianMs(20, () => store.counts());
    const entitiesMs = await medianMs(20, () => store.entities({ limit: 1_000 }));
    // What counts() cost before rhizome_totals: a scan of every delta and pointer row.
    const scanMs = await medianMs(3, () =>
      admin.unsafe(
        `SELECT (SELECT count(*) FROM ${SCHEMA}.rhizome_deltas),
                (SELECT count(DISTINCT target_id) FROM ${SCHEMA}.rhizome_pointers WHERE local_context <> $1)`,
        [Vocabulary.negates],
      ),
    );
    log(
      `counts(): p50 ${countsMs.toFixed(2)} ms (the scan it replaces: ${scanMs.toFixed(0)} ms); entities(), first 1,000: p50 ${entitiesMs.toFixed(2)} ms`,
    );
    const feed = await readFeed(store);
    log(
      `changes feed read (pages of 10,000): ${fmt(rate(feed.count, feed.ms))} deltas/s (${fmt(feed.count)} in ${(feed.ms / 1000).toFixed(1)} s)`,
    );
    await ingestPlain(deltas.slice(0, PLAIN_N));
  } finally {
    await store.close();
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(SCHEMA)} CASCADE`);
    await admin.end({ timeout: 5 });
    await probe.end({ timeout: 5 });
  }

  const dataDir = await mkdtemp(join(tmpdir(), 'rhizome-bench-pglite-'));
  const pglite = await openPgliteStore({ dataDir });
  try {
    const ms = await ingest(pglite, deltas.slice(0, PGLITE_N), 'pglite ingest');
    log(
      `PGlite on disk ingest (${fmt(PGLITE_N)} deltas): ${fmt(rate(PGLITE_N, ms))} deltas/s (${(ms / 1000).toFixed(1)} s)`,
    );
  } finally {
    await pglite.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
