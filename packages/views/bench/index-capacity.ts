// Not part of `pnpm bench` (it needs ~6 GB of heap): shows that the delta index holds more than
// 2^24 deltas, V8's limit for one Map. Run with
//   node --max-old-space-size=12000 --import tsx bench/index-capacity.ts
// Deltas are minimal objects (no pointers), so memory goes to the index's own entries.
import { createDeltaIndex } from '../src/delta-index.ts';

const target = Number(process.env.RHIZOME_BENCH_INDEX_DELTAS ?? 2 ** 24 + 1_000_000);
const index = createDeltaIndex();
const started = performance.now();
for (let i = 0; i < target; i++) {
  index.ingest({ id: `d${i}`, timeCreated: i, creator: 'c', host: 'h', pointers: [] } as never);
  if ((i + 1) % 4_000_000 === 0) console.error(`  ${(i + 1).toLocaleString('en')} ingested`);
}
const seconds = (performance.now() - started) / 1000;
const heap = process.memoryUsage().heapUsed / 2 ** 20;
console.log(
  `delta index: ${index.size.toLocaleString('en')} deltas (2^24 = ${(2 ** 24).toLocaleString('en')}) in ${seconds.toFixed(1)} s; ` +
    `get of the first and last: ${index.has('d0')} ${index.has(`d${target - 1}`)}; heap ${heap.toFixed(0)} MiB`,
);
