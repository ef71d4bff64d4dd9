// Parse + validate + id-check throughput for small deltas (2–4 pointers), measured against plain
// JSON.parse of the very same strings in the same run, so the ratio travels between machines.
// Run: pnpm bench (from the repo root or packages/core). Prints deltas/s and the ratio.
import { createHash } from 'node:crypto';
import { createDeltaBuilder } from '../src/builder.ts';
import { parseDeltaJson } from '../src/parse.ts';
import { sha256Base64Url as sha256Node } from '../src/sha256-node.ts';
import { sha256Base64Url as sha256Portable } from '../src/sha256-portable.ts';
import { encodeCanonicalContent } from '../src/canonical.ts';

const CORPUS_SIZE = 2_000;
// Many short, alternating rounds: on a busy machine the median ratio is steadier than long runs.
const ROUNDS = 9;
const MIN_ROUND_MS = 250;

function makeCorpus(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < CORPUS_SIZE; i++) {
    const builder = createDeltaBuilder({ creator: `user-${i % 17}`, host: `host-${i % 3}`, timeCreated: 1_700_000_000_000 + i });
    switch (i % 3) {
      case 0: // 2 pointers: one property
        builder.set(`entity-${i}`, { name: `Name number ${i}` });
        break;
      case 1: // 3 pointers: a relation with a role and a value
        builder
          .relate({ entity: `person-${i}`, property: 'friends' }, { entity: `person-${i + 1}`, property: 'friends' })
          .pointer({ localContext: 'since', target: 2000 + (i % 25) });
        break;
      default: // 4 pointers: two properties of one entity
        builder.set(`entity-${i}`, { age: i % 90, active: i % 2 === 0 });
    }
    lines.push(JSON.stringify(builder.build()));
  }
  return lines;
}

/** Runs `fn` over the corpus until MIN_ROUND_MS has passed; returns items per second. */
function measure(corpus: readonly string[], fn: (text: string) => unknown): number {
  let count = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const text of corpus) {
      if (fn(text) !== undefined) sink++;
    }
    count += corpus.length;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_ROUND_MS);
  if (sink !== count) throw new Error('benchmark sink mismatch');
  return (count / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const format = (perSecond: number) => Math.round(perSecond).toLocaleString('en-US');

const corpus = makeCorpus();
const canonical = corpus.map((text) => encodeCanonicalContent(JSON.parse(text)));
const averageBytes = Math.round(corpus.reduce((sum, text) => sum + text.length, 0) / corpus.length);

// Warm up every path so the JIT has settled before the measured rounds.
measure(corpus, (text) => JSON.parse(text));
measure(corpus, (text) => parseDeltaJson(text));

const jsonRuns: number[] = [];
const parseRuns: number[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const json = measure(corpus, (text) => JSON.parse(text));
  const parsed = measure(corpus, (text) => parseDeltaJson(text));
  jsonRuns.push(json);
  parseRuns.push(parsed);
  ratios.push(parsed / json);
}

const nodeRuns: number[] = [];
const portableRuns: number[] = [];
const createHashRuns: number[] = [];
for (let round = 0; round < 5; round++) {
  nodeRuns.push(measure(canonical, sha256Node));
  portableRuns.push(measure(canonical, sha256Portable));
  createHashRuns.push(measure(canonical, (t) => createHash('sha256').update(t, 'utf8').digest('base64url')));
}
const nodeHash = median(nodeRuns);
const portableHash = median(portableRuns);
const createHashRate = median(createHashRuns);

const ratio = median(ratios);
console.log(`@rhizome/core parse benchmark: ${corpus.length} small deltas (2–4 pointers, ~${averageBytes} bytes each), median of ${ROUNDS} rounds`);
console.log(`  JSON.parse                          ${format(median(jsonRuns)).padStart(12)} deltas/s`);
console.log(`  parseDeltaJson (validate + id check) ${format(median(parseRuns)).padStart(11)} deltas/s`);
console.log(`  ratio parseDeltaJson / JSON.parse   ${(ratio * 100).toFixed(1).padStart(11)} %  (target ≥ 25 %)`);
console.log(`  sha256 node:crypto (base64url)      ${format(nodeHash).padStart(12)} hashes/s`);
console.log(`  sha256 portable @noble (base64url)  ${format(portableHash).padStart(12)} hashes/s  (node is ${(nodeHash / portableHash).toFixed(1)}×)`);
console.log(`  sha256 node createHash (older API) ${format(createHashRate).padStart(12)} hashes/s`);
if (ratio < 0.25) {
  // A warning, not a failure: figures on a busy shared machine are noisy.
  console.log('  WARNING: below the 25 % target');
}
