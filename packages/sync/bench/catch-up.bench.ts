/**
 * Catch-up of N deltas from one node to a fresh one over a real WebSocket on 127.0.0.1, against
 * the receiver's own ingest rate (validate + store the same deltas with no network), plus
 * reconciliation bytes between two nodes with 1% divergence. N: RHIZOME_BENCH_DELTAS (100,000).
 */
import { performance } from 'node:perf_hooks';
import { createIdSnapshot } from '../src/fingerprint.ts';
import { decodeBatch, encodeBatch } from '../src/codec.ts';
import { createMemorySyncStore } from '../src/memory-store.ts';
import { createSyncNode } from '../src/node.ts';
import { answerReconciliation, startReconciliation } from '../src/reconcile.ts';
import { countUtf8Bytes } from '../src/utf8.ts';
import { WebSocket } from 'ws';
import { createWebSocketChannel, dialSyncSocket, listenSyncSocket } from '../src/ws/index.ts';
import { generateDeltas } from '../test/fixtures.ts';

const count = Number(process.env.RHIZOME_BENCH_DELTAS ?? 100_000);
const deltas = generateDeltas(count, 42, 'bench');
const jsonBytes = countUtf8Bytes(JSON.stringify(deltas));

// Baseline: the receiver's own batch-ingest rate for the same deltas (decode + validate + store).
const ingestStore = createMemorySyncStore();
const batches: unknown[] = [];
for (let i = 0; i < deltas.length; i += 512) batches.push(JSON.parse(JSON.stringify(encodeBatch(deltas.slice(i, i + 512)))));
let started = performance.now();
for (const batch of batches) await ingestStore.appendBatch(decodeBatch(batch));
const ingestRate = count / ((performance.now() - started) / 1000);

const source = createMemorySyncStore();
await source.appendBatch(deltas);
const a = createSyncNode({ nodeId: 'a', store: source });
const target = createMemorySyncStore();
const b = createSyncNode({ nodeId: 'b', store: target });
const server = await listenSyncSocket({ node: a, host: '127.0.0.1' });
started = performance.now();
const session = await dialSyncSocket({ node: b, url: `ws://127.0.0.1:${server.port}` });
while (target.size < count) await new Promise((resolve) => setTimeout(resolve, 5));
const seconds = (performance.now() - started) / 1000;
const wireBytes = session.snapshot().stats.bytesReceived;
b.close();
a.close();
await server.close();

// The same catch-up with permessage-deflate, counting the bytes the TCP socket really read.
const compressedStore = createMemorySyncStore();
const compressedNode = createSyncNode({ nodeId: 'z', store: compressedStore });
const source2 = createSyncNode({ nodeId: 'a2', store: source });
const server2 = await listenSyncSocket({ node: source2, host: '127.0.0.1', compress: true });
const socket = new WebSocket(`ws://127.0.0.1:${server2.port}`, { perMessageDeflate: true });
await new Promise((resolve) => socket.once('open', resolve));
compressedNode.attach(createWebSocketChannel(socket));
started = performance.now();
while (compressedStore.size < count) await new Promise((resolve) => setTimeout(resolve, 5));
const compressedSeconds = (performance.now() - started) / 1000;
// `_socket` is ws's underlying net.Socket; only a benchmark reaches for it.
const compressedBytes = (socket as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
compressedNode.close();
source2.close();
await server2.close();

// Reconciliation after a partition: two nodes sharing all but 1% of their ids.
const shared = deltas.map((delta) => delta.id);
const extraA = generateDeltas(count / 200, 43, 'only-a').map((delta) => delta.id);
const extraB = generateDeltas(count / 200, 44, 'only-b').map((delta) => delta.id);
const sides = [createIdSnapshot([...shared, ...extraA].sort()), createIdSnapshot([...shared, ...extraB].sort())];
let message = startReconciliation(sides[0]!);
let reconcileBytes = countUtf8Bytes(JSON.stringify(message));
let rounds = 0;
for (let side = 1; message.length > 0; side = 1 - side, rounds++) {
  const step = answerReconciliation(sides[side]!, message);
  message = step.ranges;
  reconcileBytes += countUtf8Bytes(JSON.stringify(message)) + step.weLack.length * 15;
}

const rows: [string, string][] = [
  ['deltas', count.toLocaleString('en')],
  ['catch-up over WebSocket', `${Math.round(count / seconds).toLocaleString('en')} deltas/s (${seconds.toFixed(2)} s)`],
  ['receiver ingest baseline', `${Math.round(ingestRate).toLocaleString('en')} deltas/s`],
  ['catch-up / ingest', `${((100 * count) / seconds / ingestRate).toFixed(0)}%`],
  ['bytes per delta on the wire', `${(wireBytes / count).toFixed(1)} (JSON: ${(jsonBytes / count).toFixed(1)}, ${((100 * wireBytes) / jsonBytes).toFixed(0)}%)`],
  ['with permessage-deflate', `${(compressedBytes / count).toFixed(1)} bytes per delta, ${Math.round(count / compressedSeconds).toLocaleString('en')} deltas/s`],
  [`reconciliation, 1% divergence (${extraA.length + extraB.length} differences)`, `${reconcileBytes.toLocaleString('en')} bytes of ranges and wants in ${rounds} messages (ids alone: ${(shared.length * 44).toLocaleString('en')})`],
];
for (const [name, value] of rows) console.log(`${name.padEnd(58)} ${value}`);

// Live propagation latency over WebSockets, a → b → c in a line, at a steady write rate on a.
async function measureLatency(rate: number, seconds: number): Promise<[string, string]> {
  const stores = [createMemorySyncStore(), createMemorySyncStore(), createMemorySyncStore()];
  const nodes = stores.map((store, i) => createSyncNode({ nodeId: `live-${i}`, store }));
  const servers = [await listenSyncSocket({ node: nodes[0]!, host: '127.0.0.1' }), await listenSyncSocket({ node: nodes[1]!, host: '127.0.0.1' })];
  await dialSyncSocket({ node: nodes[1]!, url: `ws://127.0.0.1:${servers[0]!.port}` });
  await dialSyncSocket({ node: nodes[2]!, url: `ws://127.0.0.1:${servers[1]!.port}` });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const written = new Map<string, number>();
  const hops: number[][] = [[], []];
  stores.slice(1).forEach((store, hop) =>
    store.onAppend((entries) => {
      const now = performance.now();
      for (const entry of entries) hops[hop]!.push(now - written.get(entry.delta.id)!);
    }),
  );
  const total = rate * seconds;
  const live = generateDeltas(total, rate, `live-${rate}`);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    if (due > sent) {
      const batch = live.slice(sent, due);
      const now = performance.now();
      for (const delta of batch) written.set(delta.id, now);
      await stores[0]!.appendBatch(batch);
      sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  while (hops[1]!.length < total) await new Promise((resolve) => setTimeout(resolve, 5));
  for (const node of nodes) node.close();
  for (const server of servers) await server.close();
  const percentile = (values: number[], p: number) => [...values].sort((x, y) => x - y)[Math.floor((values.length - 1) * p)]!.toFixed(1);
  return [
    `live latency at ${rate.toLocaleString('en')} deltas/s (p50 / p99 ms)`,
    `a→b ${percentile(hops[0]!, 0.5)} / ${percentile(hops[0]!, 0.99)}, a→b→c ${percentile(hops[1]!, 0.5)} / ${percentile(hops[1]!, 0.99)}`,
  ];
}

for (const rate of [1_000, 10_000]) {
  const [name, value] = await measureLatency(rate, 2);
  console.log(`${name.padEnd(58)} ${value}`);
}
