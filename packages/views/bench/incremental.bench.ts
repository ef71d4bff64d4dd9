/**
 * `pnpm bench`, second part (issue 14, part 1): what a maintained view costs per delta as an
 * entity's history grows. Run with `--expose-gc` (the package script does).
 *
 * 1. Ingest, one `ingest` call per delta, with every entity subscribed to a last-write-wins view
 *    (8 properties), at 10, 100 and 1,000 deltas per entity (same total): the ratio of the rate at
 *    1,000 to the rate at 10 is the goal (≥ 0.67, i.e. within 1.5×).
 * 2. Read-after-write: ingest one delta into an entity whose view is cached, then read the view;
 *    p50 at 10k, 100k and 1M stored deltas over 1,000 entities (10, 100, 1,000 per entity).
 *
 * Baseline in the same run: the same views through an entity resolver without `update`, which the
 * cache recomputes from all of the entity's visible deltas on every change, as every view was
 * before incremental resolvers. With RHIZOME_NODE_DIR set (a rhizome-node checkout, see
 * bench/rhizome-node.ts), also the predecessor's plain index ingest on the same workload, and the
 * ratio of ours with a subscribed view to it (goal ≥ 3). Each figure is min / median / max over
 * RUNS runs (default 3).
 */
import {
  createResolver,
  createViewStore,
  defineSchema,
  prop,
  type EntityResolver,
  type ResolverEntry,
  type Schema,
  type ViewStore,
} from '../src/index.ts';
import { loadRhizomeNode, rhizomeNodeIngestRate } from './rhizome-node.ts';
import { makeDelta, PROPERTIES } from './synthetic-deltas.ts';

const RUNS = Number(process.env.RHIZOME_BENCH_RUNS ?? 3);
const TOTAL = Number(process.env.RHIZOME_BENCH_TOTAL ?? 20_000);
const STORED = (process.env.RHIZOME_BENCH_STORED ?? '10000,100000,1000000').split(',').map(Number);
const T0 = 1_700_000_000_000;

const incremental = defineSchema({
  name: 'lww',
  properties: Object.fromEntries(PROPERTIES.map((property) => [property, prop.any()])),
});

const lww = createResolver('lww');
const recomputing: EntityResolver = {
  name: 'lww-recomputed',
  resolve(input) {
    const out: Record<string, unknown> = {};
    for (const [property, deltas] of input.properties) {
      const entries: ResolverEntry[] = deltas.map((delta) => ({
        delta,
        value: input.valueOf(delta, property),
      }));
      const value = lww.resolve(entries, { entityId: input.entityId, property });
      if (value !== undefined) out[property] = value;
    }
    return Object.freeze(out);
  },
};
const baseline = defineSchema({
  name: 'lww-recomputed',
  properties: {},
  entityResolver: recomputing,
});

const gc = (globalThis as { gc?: () => void }).gc;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const percentile = (values: number[], p: number) => {
  const s = sorted(values);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const range = (values: number[], digits = 0) => {
  const s = sorted(values);
  return `${fmt(s[0]!, digits)} / **${fmt(percentile(values, 50), digits)}** / ${fmt(s[s.length - 1]!, digits)}`;
};

/** Deltas per second ingesting TOTAL deltas round-robin over TOTAL / perEntity subscribed entities. */
function subscribedIngestRate(schema: Schema, perEntity: number, subscribed = true): number {
  const entities = TOTAL / perEntity;
  const ids = Array.from({ length: entities }, (_, e) => `entity-${e}`);
  const deltas = Array.from({ length: TOTAL }, (_, i) => {
    const e = i % entities;
    return makeDelta(ids[e]!, T0 + i, Math.floor(i / entities) + e);
  });
  const store = createViewStore({ schemas: [schema] });
  let heard = 0;
  if (subscribed) for (const id of ids) store.subscribe(id, () => heard++, { schema });
  else heard = TOTAL;
  gc?.();
  const start = process.hrtime.bigint();
  for (const delta of deltas) store.ingest(delta);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (heard < TOTAL / 2) throw new Error(`subscribers heard only ${heard} changes`);
  return (TOTAL / ms) * 1000;
}

async function benchSubscribedIngest(): Promise<void> {
  const sizes = [10, 100, 1000];
  const rates = new Map<string, number[]>();
  const record = (key: string, rate: number) => rates.set(key, [...(rates.get(key) ?? []), rate]);
  const rhizomeNode = await loadRhizomeNode();
  for (let run = 0; run < RUNS; run++) {
    // Interleaved, so that every size sees the same machine load within a run.
    for (const perEntity of sizes) {
      record(`incremental:${perEntity}`, subscribedIngestRate(incremental, perEntity));
      record(`baseline:${perEntity}`, subscribedIngestRate(baseline, perEntity));
      if (typeof rhizomeNode !== 'string') {
        record(
          `rhizome-node:${perEntity}`,
          rhizomeNodeIngestRate(rhizomeNode, TOTAL, perEntity, T0),
        );
        // Ours with no view subscribed: the index alone, like theirs.
        record(`plain:${perEntity}`, subscribedIngestRate(incremental, perEntity, false));
      }
    }
  }
  console.log(
    `\nIngest with every entity subscribed to a last-write-wins view, ${fmt(TOTAL)} deltas (deltas/s, min / median / max of ${RUNS}):`,
  );
  for (const kind of ['incremental', 'baseline']) {
    for (const perEntity of sizes)
      console.log(
        `  ${kind.padEnd(11)} ${String(perEntity).padStart(5)} per entity: ${range(rates.get(`${kind}:${perEntity}`)!)}`,
      );
    const at10 = rates.get(`${kind}:10`)!;
    const at1000 = rates.get(`${kind}:1000`)!;
    const perRun = at1000.map((rate, run) => rate / at10[run]!);
    console.log(
      `  ${kind.padEnd(11)} ratio 1,000 vs 10 per entity (same run): ${range(perRun, 2)} (goal ≥ 0.67)`,
    );
  }
  console.log(`\nrhizome-node plain index ingest (Hyperview.ingestDelta, no view; deltas/s):`);
  if (typeof rhizomeNode === 'string') {
    console.log(`  ${rhizomeNode}`);
    return;
  }
  for (const perEntity of sizes) {
    const theirs = rates.get(`rhizome-node:${perEntity}`)!;
    const ours = rates.get(`incremental:${perEntity}`)!;
    const perRun = ours.map((rate, run) => rate / theirs[run]!);
    const plain = rates.get(`plain:${perEntity}`)!;
    const plainPerRun = plain.map((rate, run) => rate / theirs[run]!);
    console.log(
      `  ${String(perEntity).padStart(5)} per entity: ${range(theirs)}; ` +
        `incremental with a subscribed view / rhizome-node (same run): ${range(perRun, 2)} (goal ≥ 3); ` +
        `ours with no view ${range(plain)}, / rhizome-node: ${range(plainPerRun, 2)}`,
    );
  }
}

/** Ingest one delta into an entity with a cached view, then read it: µs per sample. */
function readAfterWrite(
  store: ViewStore,
  schema: Schema,
  entities: string[],
  time: number,
): number[] {
  for (const id of entities) store.resolve(schema, id);
  const samples: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const id = entities[(i * 7) % entities.length]!;
    const delta = makeDelta(id, time + i, i);
    const start = process.hrtime.bigint();
    store.ingest(delta);
    store.resolve(schema, id);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return samples.slice(500);
}

function benchReadAfterWrite(): void {
  const ENTITIES = 1000;
  const ids = Array.from({ length: ENTITIES }, (_, e) => `entity-${String(e).padStart(4, '0')}`);
  console.log(
    `\nRead-after-write over ${fmt(ENTITIES)} entities (µs, p50 per run; min / median / max of ${RUNS}):`,
  );
  for (const stored of STORED) {
    const p50 = { incremental: [] as number[], baseline: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      let store: ViewStore | undefined = createViewStore({ schemas: [incremental, baseline] });
      for (let i = 0; i < stored; i++)
        store.ingest(makeDelta(ids[(i * 7919) % ENTITIES]!, T0 + i, i));
      gc?.();
      const sample = ids.slice(0, 200);
      p50.incremental.push(percentile(readAfterWrite(store, incremental, sample, T0 + stored), 50));
      p50.baseline.push(percentile(readAfterWrite(store, baseline, sample, T0 + 2 * stored), 50));
      store = undefined;
      gc?.();
    }
    console.log(
      `  ${fmt(stored).padStart(9)} stored (${fmt(stored / ENTITIES)} per entity): incremental ${range(p50.incremental, 1)}; ` +
        `baseline ${range(p50.baseline, 1)}`,
    );
  }
}

console.log(
  `node ${process.version}, gc ${gc === undefined ? 'NOT exposed (run with --expose-gc)' : 'exposed'}`,
);
await benchSubscribedIngest();
benchReadAfterWrite();
