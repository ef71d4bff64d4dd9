// `pnpm bench` in apps/server: real-server catch-up (issue 17, goal 1). A source server process
// holds N deltas (bulk-loaded through its store before it starts); a fresh server process is
// given it as a peer (POST /api/peers) and timed until it holds all N. The baseline, measured in
// the same run just before each catch-up: the receiving store's own bulk-append rate for the
// same deltas (`store.append` in batches of 10,000, two in flight, into a fresh store of the
// same backend, in this process). On PGlite and on PostgreSQL (a database of its own, created
// and dropped here). See docs/benchmarks.md.
//
//   RHIZOME_BENCH_CATCHUP_N=1000000 RHIZOME_BENCH_CATCHUP_RUNS=3 tsx bench/catch-up.ts
//   RHIZOME_BENCH_CATCHUP_PROFILE=1: both servers run with --cpu-prof; their top functions are printed
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDeltaBuilder, type Delta } from '@rhizome/core';
import type { DeltaStore } from '@rhizome/storage';
import { openPostgresStore } from '@rhizome/storage-postgres';
import { openPgliteStore } from '@rhizome/storage-postgres/pglite';
import postgres from 'postgres';
import { formatTopFunctions, readTopFunctions } from './cpu-profile.ts';
import { progress } from './measure.ts';
import { startChild, type Child } from './processes.ts';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

const N = envInt('RHIZOME_BENCH_CATCHUP_N', 100_000);
const RUNS = envInt('RHIZOME_BENCH_CATCHUP_RUNS', 3);
const BATCH = 10_000;
const BACKENDS = (process.env.RHIZOME_BENCH_BACKENDS ?? 'pglite,postgres')
  .split(',')
  .map((item) => item.trim())
  .filter((item) => item !== '');
const PROFILE = process.env.RHIZOME_BENCH_CATCHUP_PROFILE === '1';
const ADMIN_URL =
  process.env.RHIZOME_BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'rhizome_bench_catchup';
const DATABASE_URL = `${ADMIN_URL.replace(/\/[^/]*$/, '')}/${DATABASE}`;
/** rhizome-node's transfer of 100k deltas (≈ 9.9 s, issue 17): the goal is 4× its rate. */
const RHIZOME_NODE_RATE = 100_000 / 9.9;
const TIMEOUT_MS = Math.max(300_000, N * 2);

const TOKEN = 'bench-token-0123456789';
const PEER_TOKEN = 'bench-peer-0123456789';
const TOKENS = `${TOKEN}=bench:read+write+admin,${PEER_TOKEN}=peer:peer`;
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** N small deltas, like the storage ingest bench: one entity property set each. */
function generate(n: number): Delta[] {
  const out: Delta[] = new Array<Delta>(n);
  const entities = Math.max(1, Math.floor(n / 10));
  for (let i = 0; i < n; i++) {
    out[i] = createDeltaBuilder({
      creator: 'bench',
      host: 'bench-source',
      timeCreated: 1_700_000_000_000 + i,
    })
      .set(`e-${i % entities}`, { value: i })
      .build();
  }
  return out;
}

/** store.append in batches, two in flight (one is validated and encoded while the other is written). */
async function ingest(store: DeltaStore, deltas: readonly Delta[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < deltas.length) {
      const batch = deltas.slice(next, next + BATCH);
      next += BATCH;
      const result = await store.append(batch);
      if (result.inserted.length !== batch.length) throw new Error('a batch was not all new');
    }
  };
  await Promise.all([worker(), worker()]);
  return performance.now() - started;
}

interface Backend {
  readonly name: string;
  /** A fresh, empty store location: its server environment and a way to open it here. */
  fresh(label: string): Promise<{ env: Record<string, string>; open(): Promise<DeltaStore> }>;
  cleanup(): Promise<void>;
}

async function pgliteBackend(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'rhizome-bench-catchup-'));
  return {
    name: 'pglite',
    async fresh(label) {
      const dataDir = join(dir, label);
      return { env: { RHIZOME_DATA_DIR: dataDir }, open: () => openPgliteStore({ dataDir }) };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function postgresBackend(): Promise<Backend> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  return {
    name: 'postgres',
    async fresh(label) {
      const schema = `bench_${label.replaceAll('-', '_')}`;
      return {
        env: { DATABASE_URL, RHIZOME_DATABASE_SCHEMA: schema },
        open: () => openPostgresStore({ url: DATABASE_URL, schema, follow: false }),
      };
    },
    async cleanup() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function startNode(
  name: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<Child> {
  return startChild(
    'src/main.ts',
    {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RHIZOME_TOKENS: TOKENS,
      RHIZOME_NODE_ID: name,
      RHIZOME_PEER_TOKEN: PEER_TOKEN,
      ...env,
    },
    '/readyz',
    serverDir,
    nodeArgs,
  );
}

async function heldDeltas(url: string): Promise<number> {
  const response = await fetch(`${url}/trpc/node.status`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const body = (await response.json()) as { result: { data: { deltas: number } } };
  return body.result.data.deltas;
}

/** Adds `source` as a peer of `joiner` and waits until the joiner holds all N; seconds taken. */
async function timeCatchUp(joiner: Child, source: Child): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${joiner.url}/api/peers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ address: `${source.url.replace('http', 'ws')}/sync` }),
  });
  if (!response.ok) throw new Error(`POST /api/peers: ${response.status} ${await response.text()}`);
  let lastReport = started;
  for (;;) {
    const held = await heldDeltas(joiner.url);
    if (held >= N) return (performance.now() - started) / 1000;
    if (performance.now() - started > TIMEOUT_MS)
      throw new Error(`catch-up stuck at ${held} of ${N}`);
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      progress(`  joiner holds ${fmt(held)} / ${fmt(N)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface RunResult {
  readonly baseline: number;
  readonly catchUp: number;
}

const summary = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
};

async function benchBackend(backend: Backend, deltas: readonly Delta[]): Promise<RunResult[]> {
  const source = await backend.fresh('source');
  progress(`${backend.name}: loading ${fmt(N)} deltas into the source's store`);
  const sourceStore = await source.open();
  const loadMs = await ingest(sourceStore, deltas);
  await sourceStore.close();
  progress(`${backend.name}: source loaded at ${fmt((N / loadMs) * 1000)} deltas/s; starting it`);
  const sourceProfile = PROFILE
    ? await mkdtemp(join(tmpdir(), 'rhizome-catchup-prof-'))
    : undefined;
  const sourceNode = await startNode(
    'source',
    source.env,
    sourceProfile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${sourceProfile}`],
  );
  const results: RunResult[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const base = await backend.fresh(`baseline-${run}`);
      progress(`${backend.name} run ${run}/${RUNS}: baseline, store.append of ${fmt(N)} deltas`);
      const baseStore = await base.open();
      const baseMs = await ingest(baseStore, deltas);
      await baseStore.close();
      const baseline = (N / baseMs) * 1000;
      const target = await backend.fresh(`joiner-${run}`);
      const profileDir = PROFILE
        ? await mkdtemp(join(tmpdir(), 'rhizome-catchup-prof-'))
        : undefined;
      const joiner = await startNode(
        `joiner-${run}`,
        target.env,
        profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
      );
      let seconds: number;
      try {
        progress(
          `${backend.name} run ${run}/${RUNS}: catch-up (baseline ${fmt(baseline)} deltas/s)`,
        );
        seconds = await timeCatchUp(joiner, sourceNode);
      } finally {
        await joiner.stop();
      }
      const catchUp = N / seconds;
      results.push({ baseline, catchUp });
      progress(
        `${backend.name} run ${run}/${RUNS}: ${fmt(catchUp)} deltas/s (${seconds.toFixed(1)} s), ` +
          `${((100 * catchUp) / baseline).toFixed(0)} % of the store's ${fmt(baseline)}`,
      );
      if (profileDir !== undefined) {
        console.log(`\n${backend.name} run ${run}: receiving server, top functions by self time`);
        console.log(formatTopFunctions(await readTopFunctions(profileDir, 25)));
        if (process.env.RHIZOME_BENCH_CATCHUP_PROFILE_KEEP === '1')
          console.log(`(kept in ${profileDir})`);
        else await rm(profileDir, { recursive: true, force: true });
      }
    }
  } finally {
    await sourceNode.stop();
  }
  if (sourceProfile !== undefined) {
    console.log(`\n${backend.name}: source server (all runs), top functions by self time`);
    console.log(formatTopFunctions(await readTopFunctions(sourceProfile, 25)));
    await rm(sourceProfile, { recursive: true, force: true });
  }
  return results;
}

async function main(): Promise<void> {
  progress(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; generating ${fmt(N)} deltas`,
  );
  const deltas = generate(N);
  const all: [string, RunResult[]][] = [];
  for (const name of BACKENDS) {
    const backend =
      name === 'pglite'
        ? await pgliteBackend()
        : name === 'postgres'
          ? await postgresBackend()
          : undefined;
    if (backend === undefined) throw new Error(`unknown backend ${name} (pglite, postgres)`);
    try {
      all.push([name, await benchBackend(backend, deltas)]);
    } finally {
      await backend.cleanup();
    }
  }
  console.log(`\nReal-server catch-up of ${fmt(N)} deltas, ${RUNS} runs (min / median / max)`);
  console.log(
    '| backend | store bulk append (deltas/s) | catch-up (deltas/s) | catch-up / store | vs 4× rhizome-node (40.4k/s) |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, results] of all) {
    const triple = (values: number[], format: (n: number) => string) => {
      const s = summary(values);
      return `${format(s.min)} / ${format(s.median)} / ${format(s.max)}`;
    };
    const pct = (n: number) => `${(100 * n).toFixed(0)} %`;
    console.log(
      `| ${name} | ${triple(
        results.map((r) => r.baseline),
        fmt,
      )} | ${triple(
        results.map((r) => r.catchUp),
        fmt,
      )} | ` +
        `${triple(
          results.map((r) => r.catchUp / r.baseline),
          pct,
        )} | ${triple(
          results.map((r) => r.catchUp / (4 * RHIZOME_NODE_RATE)),
          pct,
        )} |`,
    );
  }
  progress(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
await main();
