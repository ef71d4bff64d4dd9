// Storage benchmark. Ingests N small deltas (default 1M) into real PostgreSQL through the store,
// then COPYs the same rows into an equivalent bare table in the same run and reports the ratio.
// Also: PGlite ingest, hyperview load (p50/p99) and the changes-feed read rate.
//
//   pnpm --filter @rhizome/storage-postgres bench
//   RHIZOME_BENCH_N=100000 RHIZOME_BENCH_PGLITE_N=20000 DATABASE_URL=postgres://… pnpm … bench
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { listReferencePointers, type DeltaStore } from '@rhizome/storage';
import postgres from 'postgres';
import { openPostgresStore, quoteIdentifier } from '../src/index.ts';
import { openPgliteStore } from '../src/pglite.ts';

const N = readInt('RHIZOME_BENCH_N', 1_000_000);
const PGLITE_N = readInt('RHIZOME_BENCH_PGLITE_N', Math.min(N, 100_000));
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

// COPY text format: backslash, tab, newline and carriage return must be escaped.
const copyText = (value: string) =>
  value.replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!,
  );

async function copyInto(
  sql: postgres.Sql,
  table: string,
  columns: string,
  rows: () => Iterable<string>,
): Promise<number> {
  const started = performance.now();
  const writable = await sql.unsafe(`COPY ${SCHEMA}.${table} (${columns}) FROM STDIN`).writable();
  await pipeline(Readable.from(rows()), writable);
  return performance.now() - started;
}

function* deltaLines(deltas: readonly Delta[]) {
  for (let i = 0; i < deltas.length; i += 1_000) {
    let chunk = '';
    for (const d of deltas.slice(i, i + 1_000)) {
      chunk += `${copyText(d.id)}\t${copyText(JSON.stringify(d))}\n`;
    }
    yield chunk;
  }
}

/** Pointer rows carry the seq their delta gets from the identity column: 1, 2, … in COPY order. */
function* pointerLines(deltas: readonly Delta[]) {
  for (let i = 0; i < deltas.length; i += 1_000) {
    let chunk = '';
    deltas.slice(i, i + 1_000).forEach((d, j) => {
      for (const p of listReferencePointers(d)) {
        const context = p.targetContext === null ? '\\N' : copyText(p.targetContext);
        chunk += `${copyText(p.targetId)}\t${context}\t${d.timeCreated}\t${i + j + 1}\t${p.position}\t${copyText(p.localContext)}\n`;
      }
    });
    yield chunk;
  }
}

// seq and received_at come from the identity column and the default, as in the store.
const DELTA_COLUMNS = 'id, body';
const POINTER_COLUMNS =
  'target_id, target_context, time_created, delta_seq, position, local_context';

/**
 * COPY of the same rows into a bare table: the delta row payload (id, seq, received_at, body,
 * exactly the columns of rhizome_deltas) with no key and no index. This is the baseline the target
 * is stated against.
 */
async function copyBare(sql: postgres.Sql, deltas: readonly Delta[]): Promise<number> {
  await sql.unsafe(
    `CREATE TABLE ${SCHEMA}.bare_deltas (LIKE ${SCHEMA}.rhizome_deltas INCLUDING DEFAULTS INCLUDING IDENTITY)`,
  );
  const ms = await copyInto(sql, 'bare_deltas', DELTA_COLUMNS, () => deltaLines(deltas));
  const [row] = await sql.unsafe(`SELECT count(*)::int AS n FROM ${SCHEMA}.bare_deltas`);
  if (row?.n !== deltas.length)
    throw new Error(`COPY stored ${row?.n} rows, expected ${deltas.length}`);
  await sql.unsafe(`DROP TABLE ${SCHEMA}.bare_deltas`);
  return ms;
}

/**
 * COPY of the same rows, pointer rows included, into copies of the store's own tables with all
 * their indexes: what any loader pays for the indexes, without validation, dedup or atomicity.
 */
async function copyIndexed(sql: postgres.Sql, deltas: readonly Delta[]): Promise<number> {
  await sql.unsafe(
    `CREATE TABLE ${SCHEMA}.copy_deltas (LIKE ${SCHEMA}.rhizome_deltas INCLUDING ALL)`,
  );
  await sql.unsafe(
    `CREATE TABLE ${SCHEMA}.copy_pointers (LIKE ${SCHEMA}.rhizome_pointers INCLUDING ALL)`,
  );
  const ms =
    (await copyInto(sql, 'copy_deltas', DELTA_COLUMNS, () => deltaLines(deltas))) +
    (await copyInto(sql, 'copy_pointers', POINTER_COLUMNS, () => pointerLines(deltas)));
  await sql.unsafe(`DROP TABLE ${SCHEMA}.copy_deltas, ${SCHEMA}.copy_pointers`);
  return ms;
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

async function main(): Promise<void> {
  log(
    `@rhizome/storage-postgres bench: N=${fmt(N)}, batch ${fmt(BATCH)}, PGlite N=${fmt(PGLITE_N)}`,
  );
  const deltas = generate(N);

  const admin = postgres(URL, { max: 2, onnotice: () => {} });
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(SCHEMA)} CASCADE`);
  const store = await openPostgresStore({ url: URL, schema: SCHEMA, max: 4 });
  try {
    const ingestMs = await ingest(store, deltas, 'postgres ingest');
    const bareMs = await copyBare(admin, deltas);
    const indexedMs = await copyIndexed(admin, deltas);
    const ingestRate = rate(N, ingestMs);
    const bareRate = rate(N, bareMs);
    const indexedRate = rate(N, indexedMs);
    const pct = (value: number) => `${((ingestRate / value) * 100).toFixed(0)}%`;
    log(
      `PostgreSQL ingest (store.append, batches of ${fmt(BATCH)}): ${fmt(ingestRate)} deltas/s (${(ingestMs / 1000).toFixed(1)} s)`,
    );
    log(
      `raw COPY into a bare table (same columns, no index):      ${fmt(bareRate)} rows/s (${(bareMs / 1000).toFixed(1)} s)`,
    );
    log(
      `raw COPY into copies of the store's tables and indexes:   ${fmt(indexedRate)} deltas/s (${(indexedMs / 1000).toFixed(1)} s)`,
    );
    log(
      `ratio ingest / bare COPY: ${pct(bareRate)} (target >= 50%); ingest / indexed COPY: ${pct(indexedRate)}`,
    );

    await admin.unsafe(`ANALYZE ${SCHEMA}.rhizome_deltas, ${SCHEMA}.rhizome_pointers`);
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
    const feed = await readFeed(store);
    log(
      `changes feed read (pages of 10,000): ${fmt(rate(feed.count, feed.ms))} deltas/s (${fmt(feed.count)} in ${(feed.ms / 1000).toFixed(1)} s)`,
    );
  } finally {
    await store.close();
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(SCHEMA)} CASCADE`);
    await admin.end({ timeout: 5 });
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
