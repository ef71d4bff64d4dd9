// pnpm bench (in this package): custom-resolver throughput for the ten-plugin schema with
// dependencies used by the property tests (price → discount → total, a plain-property input,
// an optional dependency, and every built-in).
//
// Measured: incremental ingest (one delta per apply, 5% negations, over many entities), the
// cost of reading every view afterwards, and from-scratch resolution of the same entities.
// Baseline in the same run: a hand-written last-write-wins over the same deltas (one Map update
// per delta), so the figures can be compared across machines.
import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { performance } from 'node:perf_hooks';
import { createTenPluginResolver } from '../test/support/ten-plugins.ts';

const DELTAS = Number(process.env['RHIZOME_BENCH_DELTAS'] ?? 200_000);
const ENTITIES = Number(process.env['RHIZOME_BENCH_ENTITIES'] ?? 2_000);

// Deterministic pseudo-random numbers (mulberry32), so every run ingests the same deltas.
let seed = 42;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const properties = ['price', 'discount', 'name', 'color', 'score', 'fee'] as const;
const values: Record<(typeof properties)[number], () => string | number> = {
  price: () => Math.floor(random() * 1000),
  discount: () => Math.floor(random() * 50),
  name: () => ['ann', 'bob', 'cy'][Math.floor(random() * 3)]!,
  color: () => ['red', 'green', 'blue'][Math.floor(random() * 3)]!,
  score: () => Math.floor(random() * 100),
  fee: () => Math.floor(random() * 10),
};

interface Step {
  readonly entity: string;
  readonly visible?: Delta;
  readonly negated?: Delta;
}

const buildStart = performance.now();
const steps: Step[] = [];
const byEntity = new Map<string, Delta[]>();
for (let index = 0; index < DELTAS; index += 1) {
  const entity = `e${Math.floor(random() * ENTITIES)}`;
  const list = byEntity.get(entity) ?? [];
  if (random() < 0.05 && list.length > 0) {
    steps.push({ entity, negated: list[Math.floor(random() * list.length)]! });
    continue;
  }
  const property = properties[Math.floor(random() * properties.length)]!;
  const delta = createDeltaBuilder({ creator: 'bench', host: 'bench', timeCreated: index })
    .set(entity, { [property]: values[property]() })
    .build();
  list.push(delta);
  byEntity.set(entity, list);
  steps.push({ entity, visible: delta });
}
const buildTime = performance.now() - buildStart;

// Baseline: a plain Map per entity keeping the latest value per property.
const baselineStart = performance.now();
const latest = new Map<string, Map<string, unknown>>();
for (const step of steps) {
  if (step.visible === undefined) continue;
  const pointer = step.visible.pointers[1]!;
  let entityValues = latest.get(step.entity);
  if (entityValues === undefined) latest.set(step.entity, (entityValues = new Map()));
  entityValues.set(pointer.localContext, pointer.target);
}
const baselineTime = performance.now() - baselineStart;

const resolver = createTenPluginResolver();
const ingestStart = performance.now();
const entities = new Map<string, ReturnType<typeof resolver.createEntity>>();
for (const step of steps) {
  let entity = entities.get(step.entity);
  if (entity === undefined)
    entities.set(step.entity, (entity = resolver.createEntity(step.entity)));
  if (step.visible !== undefined) entity.apply({ visible: [step.visible] });
  else entity.apply({ negated: [step.negated!] });
}
const ingestTime = performance.now() - ingestStart;

const viewStart = performance.now();
let checksum = 0;
for (const entity of entities.values()) checksum += Number(entity.view()['scores']);
const viewTime = performance.now() - viewStart;

const scratchStart = performance.now();
for (const [entityId, entity] of entities) {
  resolver.resolve(entityId, entity.visibleDeltas(), entity.negatedDeltas());
}
const scratchTime = performance.now() - scratchStart;

const perSecond = (count: number, time: number) =>
  `${Math.round((count / time) * 1000).toLocaleString('en-US')}/s`;
console.log(
  `ten-plugin custom resolver, ${DELTAS.toLocaleString('en-US')} deltas (5% negations) over ${ENTITIES} entities`,
);
console.log(`build + hash deltas:            ${buildTime.toFixed(0)} ms`);
console.log(
  `baseline (Map, latest value):   ${baselineTime.toFixed(0)} ms   ${perSecond(DELTAS, baselineTime)}`,
);
console.log(
  `incremental ingest:             ${ingestTime.toFixed(0)} ms   ${perSecond(DELTAS, ingestTime)}  (${(ingestTime / baselineTime).toFixed(1)}× baseline)`,
);
console.log(
  `read every view after ingest:   ${viewTime.toFixed(0)} ms   ${perSecond(entities.size, viewTime)} views`,
);
console.log(
  `from-scratch resolution:        ${scratchTime.toFixed(0)} ms   ${perSecond(DELTAS, scratchTime)} deltas, ${perSecond(entities.size, scratchTime)} views`,
);
if (checksum < 0) console.log(checksum);
