/**
 * One node of the latency benchmark, as its own process. Arguments: node id, `lazy` or `eager`,
 * then the URL of the node to pull from (none for the writer). Prints `ready <port>`, then answers
 * commands on stdin, one line each:
 *
 * - `write <rate> <seconds>`: writes deltas at a steady rate, each carrying its write time
 *   (`process.hrtime`, CLOCK_MONOTONIC: the same clock in every process on the machine);
 *   answers `written <count>`.
 * - `peek`: answers `peek <received>`.
 * - `report`: answers `report <received> <p50> <p99>`, the latency from each delta's write time to
 *   its append here, in ms.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { createMemorySyncStore } from '../../src/memory-store.ts';
import { createSyncNode } from '../../src/node.ts';
import { listenSyncSocket } from '../../src/ws/index.ts';
import { dialForBench } from './socket.ts';

const [nodeId, mode, upstream] = process.argv.slice(2);
const store = createMemorySyncStore();
const node = createSyncNode({ nodeId: nodeId!, store, limits: { lazyPush: mode === 'lazy' } });
const server = await listenSyncSocket({ node, host: '127.0.0.1' });
if (upstream !== undefined) await dialForBench(node, upstream);

// CLOCK_MONOTONIC: one clock for every process on the machine (Linux), in ms.
const clock = (): number => Number(process.hrtime.bigint()) / 1e6;
const latencies: number[] = [];
store.onAppend((entries) => {
  const now = clock();
  for (const entry of entries) {
    const sentAt = entry.delta.pointers.find((pointer) => pointer.localContext === 'sentAt')?.target;
    if (typeof sentAt === 'number') latencies.push(now - sentAt);
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function write(rate: number, seconds: number): Promise<number> {
  const total = rate * seconds;
  const start = performance.now();
  let sent = 0;
  // Writes go in as they fall due on a 1 ms tick, as an API taking single writes would append them.
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    const batch: Delta[] = [];
    for (; sent < due; sent++) {
      const builder = createDeltaBuilder({ host: nodeId!, creator: 'bench', timeCreated: Date.now() });
      batch.push(builder.set(`live-${sent % 1000}`, { sentAt: clock(), n: sent }).build());
    }
    if (batch.length > 0) await store.appendBatch(batch);
    await sleep(1);
  }
  return total;
}

process.stdout.write(`ready ${server.port}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, a, b] = line.trim().split(' ');
  void (async () => {
    if (command === 'write') {
      process.stdout.write(`written ${await write(Number(a), Number(b))}\n`);
    } else if (command === 'peek') {
      process.stdout.write(`peek ${latencies.length}\n`);
    } else if (command === 'report') {
      const sorted = [...latencies].sort((x, y) => x - y);
      const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) * p)]!);
      process.stdout.write(`report ${sorted.length} ${at(0.5).toFixed(2)} ${at(0.99).toFixed(2)}\n`);
      latencies.length = 0;
    }
  })();
});
process.stdin.on('end', () => {
  node.close();
  void server.close().then(() => process.exit(0));
});
