// pnpm bench (in this package): replays the automerge-paper editing trace (259,778 edits by 3
// authors) as Rhizome deltas through the sequence plugin and, in the same run, through Yjs.
//
//   pnpm --filter @rhizome/plugin-crdt bench [paper.json.gz] [automerge-paper.json.gz]
//
// Timed: (a) building and content-addressing the deltas with core (SHA-256 of each), (b) the
// replay through the custom-resolver runtime with the sequence plugin, plus the final text,
// (c) the sequence plugin alone without the runtime, (d) Yjs applying the same edits by
// position (its native input), plus toString(). The ratio that the target (≤ 3× Yjs) refers to is
// (b)/(d): delta building is reported separately, because Yjs has no equivalent step (its
// updates are not content-addressed); (a+b)/(d) is reported too.
import { createCustomResolver } from '@rhizome/plugins';
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { sequence } from '../src/index.ts';
import {
  DEFAULT_POSITIONAL_PATH,
  DEFAULT_TRACE_PATH,
  DOWNLOAD_HINT,
  hasTrace,
  readAutomergeTrace,
  readPositionalTrace,
  traceToDeltas,
  type PositionalTrace,
  type ReplayStep,
} from './automerge-trace.ts';

const args = process.argv.slice(2).filter((arg) => arg !== '--');
const tracePath = args[0] ?? process.env['RHIZOME_TRACE'] ?? DEFAULT_TRACE_PATH;
const positionalPath =
  args[1] ?? process.env['RHIZOME_TRACE_POSITIONAL'] ?? DEFAULT_POSITIONAL_PATH;
const RUNS = Number(process.env['RHIZOME_BENCH_RUNS'] ?? 3);

for (const path of [tracePath, positionalPath]) {
  if (!hasTrace(path)) {
    console.error(`trace not found: ${path}\n${DOWNLOAD_HINT}`);
    process.exit(1);
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function replayRuntime(steps: readonly ReplayStep[]): { text: string; keep: unknown } {
  const resolver = createCustomResolver([sequence({ property: 'text' })]);
  const entity = resolver.createEntity('paper');
  for (const step of steps) {
    if (step.kind === 'insert') entity.apply({ visible: [step.delta] });
    else entity.apply({ negated: [step.target] });
  }
  return { text: entity.get('text') as string, keep: entity };
}

function replayPlugin(steps: readonly ReplayStep[]): { text: string; keep: unknown } {
  const plugin = sequence({ property: 'text' });
  const deps = {};
  const context = { entityId: 'paper', property: 'text' };
  let state = plugin.initialize(deps);
  for (const step of steps) {
    if (step.kind === 'insert') {
      // The value a views index would hand over: the primitive under localContext `text`.
      state = plugin.update(state, step.delta.pointers[1]!.target, step.delta, deps, context);
    } else {
      state = plugin.remove!(state, undefined, step.target, deps, context);
    }
  }
  return { text: plugin.resolve(state, deps) as string, keep: state };
}

function replayYjs(trace: PositionalTrace): { text: string; keep: unknown } {
  const doc = new Y.Doc();
  const text = doc.getText('text');
  for (const txn of trace.txns) {
    for (const [position, deleted, inserted] of txn.patches) {
      if (deleted > 0) text.delete(position, deleted);
      if (inserted !== '') text.insert(position, inserted);
    }
  }
  return { text: text.toString(), keep: doc };
}

interface Holder {
  result: { text: string; keep: unknown } | undefined;
}

/** Runs in its own frame, so no interpreter register outlives it holding the result. */
function runInto(
  holder: Holder,
  run: () => { text: string; keep: unknown },
  name: string,
  expected: string,
): number {
  const start = performance.now();
  holder.result = run();
  const time = performance.now() - start;
  if (holder.result.text !== expected) {
    console.error(
      `${name}: final text differs from the trace's (${holder.result.text.length} vs ${expected.length} chars)`,
    );
    process.exit(1);
  }
  return time;
}

function measure(name: string, run: () => { text: string; keep: unknown }, expected: string) {
  const times: number[] = [];
  let heap = 0;
  for (let index = 0; index < RUNS; index += 1) {
    const holder: Holder = { result: undefined };
    times.push(runInto(holder, run, name, expected));
    // Heap with the result alive minus heap once it is dropped: what the structure retains,
    // unaffected by garbage left from parsing the trace.
    const withResult = heapUsed();
    holder.result = undefined;
    heap = withResult - heapUsed();
  }
  const time = median(times);
  console.log(
    `${name.padEnd(44)} ${ms(time).padStart(9)}   retained heap ${mb(heap).padStart(9)}   (runs: ${times.map(ms).join(', ')})`,
  );
  return { time, heap };
}

console.log(`automerge-paper trace: ${tracePath}`);
const changes = readAutomergeTrace(tracePath);
const positional = readPositionalTrace(positionalPath);
const expected = positional.endContent;

const buildStart = performance.now();
let steps: ReplayStep[] = traceToDeltas(changes);
const buildTime = performance.now() - buildStart;
// Heap with the deltas minus heap without them (then build them again, untimed).
const withDeltas = heapUsed();
steps = [];
const deltaHeap = withDeltas - heapUsed();
steps = traceToDeltas(changes);
const inserts = steps.filter((step) => step.kind === 'insert').length;
console.log(
  `${steps.length} edits (${inserts} inserts, ${steps.length - inserts} deletes) → ${steps.length} deltas; final text ${expected.length} chars`,
);
console.log(
  `${'build + hash deltas (core createDelta)'.padEnd(44)} ${ms(buildTime).padStart(9)}   delta heap    ${mb(deltaHeap).padStart(9)}`,
);

const yjs = measure('Yjs 13 (Y.Text, positional edits)', () => replayYjs(positional), expected);
const runtime = measure(
  'sequence plugin via custom resolver',
  () => replayRuntime(steps),
  expected,
);
const plugin = measure('sequence plugin alone (no runtime)', () => replayPlugin(steps), expected);

console.log('');
console.log(`final text equals the trace's endContent: yes (${expected.length} chars)`);
console.log(
  `ratio custom resolver / Yjs:           ${(runtime.time / yjs.time).toFixed(2)}×  (target ≤ 3×)`,
);
console.log(`ratio plugin alone / Yjs:              ${(plugin.time / yjs.time).toFixed(2)}×`);
console.log(
  `ratio (build+hash + resolver) / Yjs:   ${((buildTime + runtime.time) / yjs.time).toFixed(2)}×`,
);
console.log(
  `heap: Yjs doc ${mb(yjs.heap)}; resolver state ${mb(runtime.heap)} + deltas ${mb(deltaHeap)}; plugin state alone ${mb(plugin.heap)}`,
);
if (gc === undefined) console.log('(run with node --expose-gc for exact heap figures)');
