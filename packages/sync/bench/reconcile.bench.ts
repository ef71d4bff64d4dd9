/**
 * Reconciliation after a partition: two nodes of N deltas each (RHIZOME_BENCH_RECONCILE_DELTAS,
 * default 100,000) that share all but 1% (N/200 deltas only on each side), with no cursors for
 * each other, link over a real WebSocket on 127.0.0.1 and converge. Counts every byte of every
 * frame in both directions (handshake, reconcile rounds, wants, the differing deltas, credits)
 * against the size of one side's whole set, compactly encoded and as JSON.
 */
import { performance } from 'node:perf_hooks';
import { encodeBatch } from '../src/codec.ts';
import { createMemorySyncStore } from '../src/memory-store.ts';
import { createSyncNode } from '../src/node.ts';
import { countUtf8Bytes } from '../src/utf8.ts';
import { listenSyncSocket } from '../src/ws/index.ts';
import { generateDeltas } from '../test/fixtures.ts';
import { dialForBench, formatRate, printRows, waitForSize } from './support/socket.ts';

const count = Number(process.env.RHIZOME_BENCH_RECONCILE_DELTAS ?? 100_000);
const only = Math.round(count / 200);
const shared = generateDeltas(count - only, 7, 'shared');
const onlyA = generateDeltas(only, 8, 'only-a');
const onlyB = generateDeltas(only, 9, 'only-b');

let compactBytes = 0;
let jsonBytes = 0;
const sideA = [...shared, ...onlyA];
for (let i = 0; i < sideA.length; i += 512) {
  const batch = sideA.slice(i, i + 512);
  compactBytes += countUtf8Bytes(JSON.stringify(encodeBatch(batch)));
  jsonBytes += countUtf8Bytes(JSON.stringify(batch));
}

const stores = [createMemorySyncStore({ feedId: 'feed-a' }), createMemorySyncStore({ feedId: 'feed-b' })] as const;
// Each side stored the shared history in its own order, then its own writes during the partition.
await stores[0].appendBatch(sideA);
await stores[1].appendBatch([...shared].reverse());
await stores[1].appendBatch(onlyB);
const [a, b] = stores.map((store, i) => createSyncNode({ nodeId: `node-${i}`, store }));
const server = await listenSyncSocket({ node: a!, host: '127.0.0.1' });
const converged = Promise.all(stores.map((store) => waitForSize(store, count + only)));
const started = performance.now();
const link = await dialForBench(b!, `ws://127.0.0.1:${server.port}`);
await converged;
const seconds = (performance.now() - started) / 1000;
const stats = link.session.snapshot().stats;
const total = stats.bytesSent + stats.bytesReceived;
link.close();
a!.close();
b!.close();
await server.close();

printRows(`reconciliation of two ${count.toLocaleString('en')}-delta nodes with 1% divergence (${(2 * only).toLocaleString('en')} differences)`, [
  ['bytes on the wire, both directions, everything', `${total.toLocaleString('en')} (${stats.framesSent + stats.framesReceived} frames, ${stats.reconciliations} reconciliation)`],
  ['of which the differing deltas themselves', `${stats.deltasSent + stats.deltasReceived} deltas`],
  ['one side\'s whole set: compact / JSON', `${compactBytes.toLocaleString('en')} / ${jsonBytes.toLocaleString('en')} bytes`],
  ['reconciliation / whole set (compact)', `${((100 * total) / compactBytes).toFixed(1)}%`],
  ['time to converge', `${(seconds * 1000).toFixed(0)} ms (${formatRate((count + only) / seconds)} ids/s compared)`],
]);
