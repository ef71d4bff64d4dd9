/**
 * One Rhizome sync node as its own process, for the multi-process test. Arguments: node id, data
 * directory, port (0: any), then peer URLs to keep dialled. Reads commands on stdin:
 * `write <count> <seed>` and `status`; prints `ready <port>` and `status <size> <digest> <received> <reconciliations>`.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createSyncNode } from '../../src/node.ts';
import { connectSyncPeer, listenSyncSocket } from '../../src/ws/index.ts';
import { generateDeltas } from '../fixtures.ts';
import { openFileSyncStore } from './file-store.ts';

const [nodeId, dir, portText, ...peers] = process.argv.slice(2);
const store = openFileSyncStore(dir!);
const node = createSyncNode({ nodeId: nodeId!, store, limits: { pingIntervalMs: 1_000 } });
const server = await listenSyncSocket({ node, host: '127.0.0.1', port: Number(portText) });
for (const url of peers) connectSyncPeer({ node, url, backoff: { baseMs: 50, maxMs: 400 } });
process.stdout.write(`ready ${server.port}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, a, b] = line.trim().split(' ');
  void (async () => {
    if (command === 'write') {
      await store.appendBatch(generateDeltas(Number(a), Number(b), `${nodeId}-${b}`));
      process.stdout.write('written\n');
    } else if (command === 'status') {
      const ids = store.all().map((delta) => delta.id).sort();
      const digest = createHash('sha256').update(ids.join()).digest('hex').slice(0, 16);
      // Deltas received over the links open now (since the last restart if none dropped).
      const received = node.peers().reduce((sum, peer) => sum + peer.stats.deltasReceived, 0);
      const reconciliations = node.peers().reduce((sum, peer) => sum + peer.stats.reconciliations, 0);
      process.stdout.write(`status ${ids.length} ${digest} ${received} ${reconciliations}\n`);
    }
  })();
});
