// `pnpm bench` in apps/server, part 5 (issue 13): what a node costs as its history grows. For each
// history size (0 — the baseline — then RHIZOME_BENCH_HISTORY_SIZES, default 100k and 1M small
// deltas, ten per entity) the store is loaded in 50,000-delta appends (COPY), then:
// - the real server entry point is started three times over it: time to /readyz and RSS when
//   ready, then RSS after reading 3,000 random entities through it (the cache fills), next to the
//   empty node's and the configured cache (RHIZOME_CACHE_MB);
// - in-process, a node over the same schema times entity views cold (a cache miss: a closure,
//   two indexed queries for these entities) and hot, beside a bare indexed SELECT of the same
//   rows (the closure's first query alone) with the same driver.
// Needs PostgreSQL (RHIZOME_BENCH_DATABASE_URL, default the local `test` database); schemas are
// dropped at the end.
import { createRhizomeNode } from '@rhizome/node';
import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { openPostgresStore } from '@rhizome/storage-postgres';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { progress, quantile } from './measure.ts';
import { freePort } from './processes.ts';

const DATABASE_URL =
  process.env.RHIZOME_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SIZES = (process.env.RHIZOME_BENCH_HISTORY_SIZES ?? '100000,1000000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const CACHE_MB = Number(process.env.RHIZOME_BENCH_CACHE_MB ?? 64);
// Keep the loaded schemas (named by size) and reuse them next time: a 10M load takes ~10 minutes.
const KEEP = process.env.RHIZOME_BENCH_HISTORY_KEEP === '1';
const READS = 3_000;
const STARTS = 3;
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const mmm = (values: readonly number[], digits = 0) =>
  `${Math.min(...values).toFixed(digits)} / ${quantile(values, 0.5).toFixed(digits)} / ${Math.max(...values).toFixed(digits)}`;

const entityOf = (i: number) => `ent-${(i * 2654435761) % 4294967296}`;

async function load(schema: string, count: number): Promise<void> {
  const store = await openPostgresStore({ url: DATABASE_URL, schema, follow: false });
  const entities = Math.max(1, Math.floor(count / 10));
  const started = performance.now();
  try {
    for (let done = 0; done < count;) {
      const batch: Delta[] = [];
      for (let i = 0; i < 50_000 && done + i < count; i++) {
        const n = done + i;
        batch.push(
          createDeltaBuilder({
            creator: 'bench',
            host: 'bench',
            timeCreated: 1_700_000_000_000 + n,
          })
            .set(entityOf(n % entities), { value: n, label: `v${n % 97}` })
            .build(),
        );
      }
      await store.append(batch);
      done += batch.length;
      if (done % 1_000_000 === 0 || done === count)
        progress(
          `  loaded ${done.toLocaleString('en')} (${Math.round(done / ((performance.now() - started) / 1000)).toLocaleString('en')} deltas/s)`,
        );
    }
  } finally {
    await store.close();
  }
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

interface StartFigures {
  readyMs: number;
  rssReady: number;
  rssAfterReads: number;
}

/** Starts the server entry point over the schema, times /readyz, reads entities, stops it. */
async function startAndRead(schema: string, count: number): Promise<StartFigures> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL,
      RHIZOME_DATABASE_SCHEMA: schema,
      RHIZOME_CACHE_MB: String(CACHE_MB),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error('the server exited during start');
      if (performance.now() - started > 120_000) throw new Error('not ready within 120 s');
      try {
        if ((await fetch(`${url}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const readyMs = performance.now() - started;
    const rssReady = await rssOf(child.pid!);
    const entities = Math.max(1, Math.floor(count / 10));
    if (count > 0)
      for (let i = 0; i < READS; i++) {
        const response = await fetch(`${url}/api/entities/${entityOf((i * 7919) % entities)}`);
        if (!response.ok) throw new Error(`read: ${response.status}`);
        await response.arrayBuffer();
      }
    const rssAfterReads = await rssOf(child.pid!);
    return { readyMs, rssReady, rssAfterReads };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

interface ReadFigures {
  coldMicros: number[];
  hotMicros: number[];
  selectMicros: number[];
}

/** In-process: a node over the schema; cold then hot views of the same entities; a bare SELECT. */
async function timeReads(schema: string, count: number): Promise<ReadFigures> {
  const store = await openPostgresStore({ url: DATABASE_URL, schema, follow: false, max: 1 });
  const node = await createRhizomeNode({
    store,
    nodeId: 'bench',
    cacheBytes: CACHE_MB * 1024 * 1024,
  });
  // The baseline: the first hop of a closure as the store sends it (the rows at the entity),
  // through the same driver, with nothing around it.
  const sql = postgres(DATABASE_URL, {
    max: 1,
    onnotice: () => {},
    connection: { search_path: schema, jit: 'off', max_parallel_workers_per_gather: '0' },
  });
  const entities = Math.max(1, Math.floor(count / 10));
  const ids = Array.from({ length: 1_000 }, (_, i) => entityOf((i * 104729 + 13) % entities));
  const coldMicros: number[] = [];
  const hotMicros: number[] = [];
  const selectMicros: number[] = [];
  try {
    for (const id of ids) {
      const t0 = performance.now();
      await node.view(id);
      coldMicros.push((performance.now() - t0) * 1000);
    }
    for (const id of ids) {
      const t0 = performance.now();
      await node.view(id);
      hotMicros.push((performance.now() - t0) * 1000);
    }
    for (const id of ids) {
      const t0 = performance.now();
      await sql.unsafe(
        'SELECT body FROM rhizome_deltas WHERE seq IN (SELECT delta_seq FROM rhizome_pointers WHERE target_id = ANY($1::text[]))',
        [[id]],
      );
      selectMicros.push((performance.now() - t0) * 1000);
    }
  } finally {
    await node.close();
    await sql.end();
  }
  return { coldMicros, hotMicros, selectMicros };
}

async function main(): Promise<void> {
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin`select 1`;
  } catch (error) {
    await admin.end();
    console.log(`- history bench skipped: ${DATABASE_URL} did not answer (${String(error)})`);
    return;
  }
  const schemas: string[] = [];
  try {
    const rows: string[] = [];
    let empty: StartFigures[] = [];
    for (const count of [0, ...SIZES]) {
      const schema = KEEP
        ? `rhizome_bench_history_keep_${count}`
        : `rhizome_bench_history_${process.pid}_${count}`;
      if (!KEEP) schemas.push(schema);
      let stored = -1;
      if (KEEP) {
        try {
          const rows = await admin.unsafe(
            `SELECT deltas FROM "${schema}".rhizome_totals WHERE id = 1`,
          );
          stored = Number(rows[0]?.deltas ?? -1);
        } catch {
          stored = -1; // not there yet
        }
      }
      if (stored === count) progress(`${count.toLocaleString('en')} deltas: reusing ${schema}`);
      else {
        progress(`${count.toLocaleString('en')} deltas: loading`);
        if (KEEP) await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await load(schema, count);
      }
      const starts: StartFigures[] = [];
      for (let i = 0; i < STARTS; i++) {
        progress(`${count.toLocaleString('en')} deltas: server start ${i + 1}/${STARTS}`);
        starts.push(await startAndRead(schema, count));
      }
      if (count === 0) empty = starts;
      const emptyReady = quantile(
        empty.map((s) => s.readyMs),
        0.5,
      );
      const emptyRss = quantile(
        empty.map((s) => s.rssReady),
        0.5,
      );
      const reads = count === 0 ? undefined : await timeReads(schema, count);
      const ready = starts.map((s) => s.readyMs);
      const overEmpty = starts.map((s) => s.rssAfterReads - emptyRss);
      rows.push(
        `| ${count.toLocaleString('en')} | ${mmm(ready)} (${(quantile(ready, 0.5) - emptyReady).toFixed(0)} over empty) | ${mmm(starts.map((s) => s.rssReady))} | ${mmm(starts.map((s) => s.rssAfterReads))} (${quantile(overEmpty, 0.5).toFixed(0)} over empty, cache ${CACHE_MB}) | ` +
          (reads === undefined
            ? '— | — | — |'
            : `${quantile(reads.coldMicros, 0.5).toFixed(0)} / ${quantile(reads.coldMicros, 0.99).toFixed(0)} | ${quantile(reads.hotMicros, 0.5).toFixed(1)} / ${quantile(reads.hotMicros, 0.99).toFixed(1)} | ${quantile(reads.selectMicros, 0.5).toFixed(0)} / ${quantile(reads.selectMicros, 0.99).toFixed(0)} |`),
      );
    }
    console.log('\n## A storage-backed node: start-up, memory and reads by history size\n');
    console.log(
      `Server entry point on PostgreSQL, RHIZOME_CACHE_MB=${CACHE_MB}, ${STARTS} starts per size (min / median / max); after ready, ${READS.toLocaleString('en')} entity reads over HTTP. Reads in-process, 1,000 entities, µs p50 / p99.\n`,
    );
    console.log(
      '| stored deltas | ms to /readyz | RSS ready (MiB) | RSS after reads (MiB) | view cold µs | view hot µs | bare SELECT µs |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
  } finally {
    for (const schema of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

await main();
