// Latency of one small append (`store.append([oneDelta])`) on PGlite on disk, PGlite in memory
// and PostgreSQL: the fixed cost per append that single-delta writes pay.
//
//   pnpm --filter @rhizome/storage-postgres exec tsx bench/append-latency.bench.ts
//   RHIZOME_BENCH_APPENDS=2000 DATABASE_URL=postgres://… (same command)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeltaBuilder, type Delta } from '@rhizome/core';
import type { DeltaStore } from '@rhizome/storage';
import postgres from 'postgres';
import { openPostgresStore, quoteIdentifier } from '../src/index.ts';
import { openPgliteStore } from '../src/pglite.ts';

const APPENDS = readInt('RHIZOME_BENCH_APPENDS', 1_000);
const WARMUP = 100;
// Appends in flight at once for the throughput row (the server's bench uses 32 writers).
const CONCURRENCY = 32;
const URL =
  process.env.DATABASE_URL ??
  process.env.RHIZOME_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'rhizome_bench_latency';

function readInt(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number.parseInt(value, 10);
}

const log = (line: string) => process.stdout.write(`${line}\n`);

let counter = 0;
function nextDelta(): Delta {
  counter += 1;
  return createDeltaBuilder({
    creator: 'bench',
    host: 'bench-node',
    timeCreated: 1_700_000_000_000 + counter,
  })
    .set(`e-${counter}`, { value: counter })
    .build();
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function measure(label: string, store: DeltaStore): Promise<void> {
  // Deltas are built before timing: only the store's work is measured.
  const warm = Array.from({ length: WARMUP }, nextDelta);
  for (const delta of warm) await store.append([delta]);

  const deltas = Array.from({ length: APPENDS }, nextDelta);
  const times: number[] = [];
  const started = performance.now();
  for (const delta of deltas) {
    const t = performance.now();
    await store.append([delta]);
    times.push(performance.now() - t);
  }
  const serialMs = performance.now() - started;
  times.sort((a, b) => a - b);

  // Many writers at once, each appending one delta: PGlite serialises them, PostgreSQL does not.
  const parallel = Array.from({ length: APPENDS }, nextDelta);
  let next = 0;
  const parallelStarted = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < parallel.length) await store.append([parallel[next++]!]);
    }),
  );
  const parallelMs = performance.now() - parallelStarted;

  log(
    `${label.padEnd(18)} p50 ${percentile(times, 0.5).toFixed(2)} ms, p99 ${percentile(times, 0.99).toFixed(2)} ms; ` +
      `one writer ${Math.round((APPENDS / serialMs) * 1000)} appends/s, ` +
      `${CONCURRENCY} writers ${Math.round((APPENDS / parallelMs) * 1000)} appends/s`,
  );
}

log(`${APPENDS} single-delta appends per store (after ${WARMUP} warm-up appends)`);

const dir = await mkdtemp(join(tmpdir(), 'rhizome-append-latency-'));
try {
  const disk = await openPgliteStore({ dataDir: dir });
  try {
    await measure('PGlite on disk', disk);
  } finally {
    await disk.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const memory = await openPgliteStore();
try {
  await measure('PGlite in memory', memory);
} finally {
  await memory.close();
}

const admin = postgres(URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
try {
  await admin`SELECT 1`;
} catch (error) {
  log(
    `PostgreSQL         skipped: not reachable at ${URL.replace(/\/\/[^@]*@/, '//***@')} (${String(error)})`,
  );
  await admin.end();
  process.exit(0);
}
try {
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(SCHEMA)} CASCADE`);
  const pg = await openPostgresStore({ url: URL, schema: SCHEMA });
  try {
    await measure('PostgreSQL', pg);
  } finally {
    await pg.close();
  }
} finally {
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(SCHEMA)} CASCADE`);
  await admin.end();
}
