/**
 * Catch-up of N deltas (RHIZOME_BENCH_DELTAS, default 1,000,000) from a node in another process to
 * a fresh node in this one, over a real WebSocket on 127.0.0.1. Baseline, measured in the same run
 * before and after: this process's own batch-ingest rate for the same deltas into the same store
 * type — parse the batch text, decode and validate every delta (id recomputed), store — with no
 * network and no session. Then the same catch-up with permessage-deflate on a prefix of the feed.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createBatchEncoder, decodeBatch } from '../src/codec.ts';
import { defaultSyncLimits } from '../src/limits.ts';
import { createMemorySyncStore } from '../src/memory-store.ts';
import { createSyncNode } from '../src/node.ts';
import { countUtf8Bytes } from '../src/utf8.ts';
import { generateDeltas } from '../test/fixtures.ts';
import { dialForBench, formatRate, printRows, waitForSize } from './support/socket.ts';

const count = Number(process.env.RHIZOME_BENCH_DELTAS ?? 1_000_000);
const deflateCount = Math.min(count, Number(process.env.RHIZOME_BENCH_DEFLATE_DELTAS ?? 200_000));
const SEED = 42;

// The sender: its own process, holding the same deltas (same generator, same seed).
const sender = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./support/serve.ts', import.meta.url)), String(count), String(SEED)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const senderReady = new Promise<[number, number]>((resolve, reject) => {
  createInterface({ input: sender.stdout! }).once('line', (line) => {
    const [, plain, deflate] = line.split(' ');
    resolve([Number(plain), Number(deflate)]);
  });
  sender.once('exit', (code) => reject(new Error(`sender exited with ${code}`)));
});

// The receiver's copy, for the baseline: the batches as the sender would frame them.
let deltas = generateDeltas(count, SEED, 'bench');
let jsonBytes = 0;
for (const delta of deltas) jsonBytes += countUtf8Bytes(JSON.stringify(delta)) + 1;
const frames: string[] = [];
for (let i = 0; i < deltas.length; i += defaultSyncLimits.maxBatchDeltas) {
  const encoder = createBatchEncoder({ maxBytes: Number.POSITIVE_INFINITY });
  for (const delta of deltas.slice(i, i + defaultSyncLimits.maxBatchDeltas)) encoder.add(delta);
  frames.push(encoder.finishText());
}
deltas = [];
const [port, deflatePort] = await senderReady;

async function measureIngest(): Promise<number> {
  const store = createMemorySyncStore();
  const started = performance.now();
  for (const frame of frames) await store.appendBatch(decodeBatch(JSON.parse(frame)));
  const rate = store.size / ((performance.now() - started) / 1000);
  if (store.size !== count) throw new Error(`baseline stored ${store.size} of ${count}`);
  return rate;
}

async function catchUp(target: number, compress: boolean): Promise<{ rate: number; frameBytes: number; tcpBytes: number; seconds: number }> {
  const store = createMemorySyncStore();
  const node = createSyncNode({ nodeId: compress ? 'receiver-deflate' : 'receiver', store });
  const done = waitForSize(store, target);
  const started = performance.now();
  const link = await dialForBench(node, `ws://127.0.0.1:${compress ? deflatePort : port}`, compress);
  await done;
  const seconds = (performance.now() - started) / 1000;
  const result = { rate: store.size / seconds, frameBytes: link.session.snapshot().stats.bytesReceived, tcpBytes: link.bytesRead(), seconds };
  node.close();
  return { ...result, frameBytes: (result.frameBytes * target) / store.size, tcpBytes: (result.tcpBytes * target) / store.size };
}

const ingestBefore = await measureIngest();
const plain = await catchUp(count, false);
const ingestAfter = await measureIngest();
const ingest = (ingestBefore + ingestAfter) / 2;
const deflate = await catchUp(deflateCount, true);
sender.stdin!.end();

printRows(`catch-up of ${count.toLocaleString('en')} deltas between two processes over WebSocket (127.0.0.1)`, [
  ['catch-up', `${formatRate(plain.rate)} deltas/s (${plain.seconds.toFixed(1)} s)`],
  ['receiver batch-ingest baseline (before / after)', `${formatRate(ingest)} deltas/s (${formatRate(ingestBefore)} / ${formatRate(ingestAfter)})`],
  ['catch-up / ingest (target ≥ 50%)', `${((100 * plain.rate) / ingest).toFixed(0)}%`],
  [
    'bytes per delta: frames / TCP',
    `${(plain.frameBytes / count).toFixed(1)} / ${(plain.tcpBytes / count).toFixed(1)} (JSON ${(jsonBytes / count).toFixed(1)}: ${((100 * plain.tcpBytes) / jsonBytes).toFixed(0)}%)`,
  ],
  [
    `with permessage-deflate (${deflateCount.toLocaleString('en')} deltas)`,
    `${(deflate.tcpBytes / deflateCount).toFixed(1)} TCP bytes per delta, ${formatRate(deflate.rate)} deltas/s`,
  ],
]);
