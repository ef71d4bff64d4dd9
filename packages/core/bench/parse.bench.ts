// Parse + validate + id-check throughput for small deltas (2–4 pointers), measured against plain
// JSON.parse of the very same strings in the same run, so the ratio travels between machines.
// Run: pnpm bench (from the repo root or packages/core). Prints deltas/s and the ratio.
import { createHash } from 'node:crypto';
import { parseDeltaJson } from '../src/parse.ts';
import { sha256Base64Url as sha256Node } from '../src/sha256-node.ts';
import { sha256Base64Url as sha256Portable } from '../src/sha256-portable.ts';
import { encodeCanonicalContent } from '../src/canonical.ts';
import { formatRate, makeDeltas, measure, median } from './corpus.ts';

const CORPUS_SIZE = 2_000;
// Many short, alternating rounds: on a busy machine the median ratio is steadier than long runs.
const ROUNDS = 9;
const MIN_ROUND_MS = 250;

function makeCorpus(): string[] {
  return makeDeltas(CORPUS_SIZE).map((delta) => JSON.stringify(delta));
}

const measureCorpus = (corpus: readonly string[], fn: (text: string) => unknown) => measure(corpus, fn, MIN_ROUND_MS);

const corpus = makeCorpus();
const canonical = corpus.map((text) => encodeCanonicalContent(JSON.parse(text)));
const averageBytes = Math.round(corpus.reduce((sum, text) => sum + text.length, 0) / corpus.length);

// Warm up every path so the JIT has settled before the measured rounds.
measureCorpus(corpus, (text) => JSON.parse(text));
measureCorpus(corpus, (text) => parseDeltaJson(text));

const jsonRuns: number[] = [];
const parseRuns: number[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const json = measureCorpus(corpus, (text) => JSON.parse(text));
  const parsed = measureCorpus(corpus, (text) => parseDeltaJson(text));
  jsonRuns.push(json);
  parseRuns.push(parsed);
  ratios.push(parsed / json);
}

const nodeRuns: number[] = [];
const portableRuns: number[] = [];
const createHashRuns: number[] = [];
for (let round = 0; round < 5; round++) {
  nodeRuns.push(measureCorpus(canonical, sha256Node));
  portableRuns.push(measureCorpus(canonical, sha256Portable));
  createHashRuns.push(measureCorpus(canonical, (t) => createHash('sha256').update(t, 'utf8').digest('base64url')));
}
const nodeHash = median(nodeRuns);
const portableHash = median(portableRuns);
const createHashRate = median(createHashRuns);

const ratio = median(ratios);
console.log(`@rhizome/core parse benchmark: ${corpus.length} small deltas (2–4 pointers, ~${averageBytes} bytes each), median of ${ROUNDS} rounds`);
console.log(`  JSON.parse                          ${formatRate(median(jsonRuns)).padStart(12)} deltas/s`);
console.log(`  parseDeltaJson (validate + id check) ${formatRate(median(parseRuns)).padStart(11)} deltas/s`);
console.log(`  ratio parseDeltaJson / JSON.parse   ${(ratio * 100).toFixed(1).padStart(11)} %  (target ≥ 25 %)`);
console.log(`  sha256 node:crypto (base64url)      ${formatRate(nodeHash).padStart(12)} hashes/s`);
console.log(`  sha256 portable @noble (base64url)  ${formatRate(portableHash).padStart(12)} hashes/s  (node is ${(nodeHash / portableHash).toFixed(1)}×)`);
console.log(`  sha256 node createHash (older API) ${formatRate(createHashRate).padStart(12)} hashes/s`);
if (ratio < 0.25) {
  // A warning, not a failure: figures on a busy shared machine are noisy.
  console.log('  WARNING: below the 25 % target');
}
