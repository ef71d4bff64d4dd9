/**
 * `pnpm bench`: in-memory ingest rate, view latency (hot and cold), update latency against store
 * size, and heap bytes per stored delta. Run with `--expose-gc` (the package script does).
 *
 * Deltas are synthetic (sequential 43-character ids instead of SHA-256) so that the figures
 * measure the index, not hashing; their shape is what `createDeltaBuilder().set()` produces.
 */
import type { Delta } from '@rhizome/core';
import { createViewStore, defineSchema, prop, type ViewStore } from '../src/index.ts';
import { makeDelta } from './synthetic-deltas.ts';

const ENTITIES = 10_000;
const entityIds = Array.from({ length: ENTITIES }, (_, i) => `entity-${String(i).padStart(5, '0')}`);
const schema = defineSchema({
  name: 'bench',
  properties: {
    name: prop.string(),
    age: prop.number({ resolver: 'max' }),
    email: prop.string(),
    score: prop.number({ resolver: 'sum' }),
    status: prop.string({ resolver: 'majority' }),
  },
});

function makeDeltas(count: number): Delta[] {
  const deltas: Delta[] = new Array(count);
  for (let i = 0; i < count; i++) deltas[i] = makeDelta(entityIds[(i * 7919) % ENTITIES]!, 1_700_000_000_000 + i, i);
  return deltas;
}

const gc = (globalThis as { gc?: () => void }).gc;
function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function time<T>(fn: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const result = fn();
  return [result, Number(process.hrtime.bigint() - start) / 1e6];
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const results: string[] = [];
const report = (line: string) => {
  results.push(line);
  console.log(line);
};

const median = (values: number[]): number => percentile(values, 50);

// Median of several runs, each against a fresh store: the machine is shared, so single runs are noisy.
function benchIngest(count: number, compact: boolean, runs: number): ViewStore {
  const deltas = makeDeltas(count);
  const times: number[] = [];
  const baselines: number[] = [];
  let store: ViewStore | undefined;
  for (let run = 0; run < runs; run++) {
    store = undefined;
    heap();
    // Baseline in the same run: the cheapest possible idempotent store, one Map keyed by id.
    const [baseline, baselineMs] = time(() => {
      const map = new Map<string, Delta>();
      for (const delta of deltas) if (!map.has(delta.id)) map.set(delta.id, delta);
      return map;
    });
    baselines.push(baselineMs);
    baseline.clear();
    heap();
    const fresh = createViewStore({ schemas: [schema], compact });
    const [, ms] = time(() => fresh.ingestMany(deltas));
    times.push(ms);
    store = fresh;
  }
  const ms = median(times);
  const baselineMs = median(baselines);
  report(
    `ingest ${fmt(count, 0)} deltas over ${fmt(ENTITIES, 0)} entities (compact: ${compact}, median of ${runs}): ` +
      `${fmt(ms)} ms, ${fmt(count / ms, 0)}k deltas/s (Map-by-id baseline ${fmt(baselineMs)} ms, ratio ${fmt(ms / baselineMs)}x)`,
  );
  return store!;
}

// Two heap figures per stored delta: what the index adds on top of the caller's delta objects
// (they stay alive), and everything the store retains once the caller has dropped its objects,
// as after loading from the network or disk.
function benchHeap(count: number, compact: boolean): void {
  const before = heap();
  let deltas: Delta[] | undefined = makeDeltas(count);
  const withInput = heap();
  const store = createViewStore({ compact });
  store.ingestMany(deltas);
  const withIndex = heap();
  if (deltas.length !== store.size) throw new Error('lost deltas');
  deltas = undefined;
  const retained = heap();
  report(
    `  heap per delta (${fmt(count, 0)}, compact: ${compact}): index adds ${fmt((withIndex - withInput) / count, 0)} bytes ` +
      `to the caller's delta objects (${fmt((withInput - before) / count, 0)} bytes each incl. array slot); ` +
      `store retains ${fmt((retained - before) / count, 0)} bytes once the caller drops them`,
  );
}

function benchViews(store: ViewStore, label: string): void {
  const sample = Array.from({ length: 2000 }, (_, i) => entityIds[(i * 104_729) % ENTITIES]!);
  const cold: number[] = [];
  const hot: number[] = [];
  for (const entityId of sample) {
    const start = process.hrtime.bigint();
    store.resolve(schema, entityId);
    cold.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  for (let round = 0; round < 20; round++) {
    for (const entityId of sample) {
      const start = process.hrtime.bigint();
      store.resolve(schema, entityId);
      hot.push(Number(process.hrtime.bigint() - start) / 1000);
    }
  }
  report(
    `view latency (${label}): cold p50 ${fmt(percentile(cold, 50))} µs, p99 ${fmt(percentile(cold, 99))} µs; ` +
      `hot p50 ${fmt(percentile(hot, 50), 2)} µs, p99 ${fmt(percentile(hot, 99), 2)} µs`,
  );
}

function benchUpdate(store: ViewStore, label: string): void {
  // Entities of a fixed size, so that only the store size varies between runs.
  const prepare = (entityId: string): void => {
    for (let i = 0; i < 20; i++) store.ingest(makeDelta(entityId, 1_800_000_000_000 + i, i));
    store.resolve(schema, entityId);
  };
  let target = `updated-${label}-0`;
  prepare(target);
  const samples: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const delta = makeDelta(target, 1_800_000_000_100 + i, i);
    const start = process.hrtime.bigint();
    store.ingest(delta);
    store.resolve(schema, target);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
    if (i % 10 === 9) {
      target = `updated-${label}-${i}`;
      prepare(target);
    }
  }
  report(
    `update latency (ingest 1 delta into a 20-30-delta entity + re-read its view; ${label} deltas stored): ` +
      `p50 ${fmt(percentile(samples.slice(500), 50), 2)} µs, p99 ${fmt(percentile(samples.slice(500), 99), 2)} µs`,
  );
}

console.log(`node ${process.version}, gc ${gc === undefined ? 'NOT exposed (run with --expose-gc)' : 'exposed'}`);
const small = createViewStore({ schemas: [schema] });
small.ingestMany(makeDeltas(10_000));
benchUpdate(small, '10k');

benchIngest(100_000, false, 5);
benchIngest(100_000, true, 5);
benchHeap(100_000, false);
benchHeap(100_000, true);
benchIngest(1_000_000, true, 3);
let big: ViewStore | undefined = benchIngest(1_000_000, false, 3);
benchViews(big, '1M deltas, 100 per entity');
benchUpdate(big, '1M');
big = undefined;
benchHeap(1_000_000, false);
benchHeap(1_000_000, true);
