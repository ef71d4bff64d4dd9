/**
 * The sending side of the catch-up benchmark, as its own process: holds `count` deltas (the same
 * ones the receiver generates, by seed) in a memory store and serves them over WebSocket on
 * 127.0.0.1, once plain and once with permessage-deflate. Prints `ready <port> <deflatePort>`;
 * exits when its stdin closes.
 */
import { createMemorySyncStore } from '../../src/memory-store.ts';
import { createSyncNode } from '../../src/node.ts';
import { listenSyncSocket } from '../../src/ws/index.ts';
import { generateDeltas } from '../../test/fixtures.ts';

const [countText, seedText] = process.argv.slice(2);
const count = Number(countText);
const store = createMemorySyncStore({ feedId: 'bench-sender' });
await store.appendBatch(generateDeltas(count, Number(seedText), 'bench'));
const node = createSyncNode({ nodeId: 'sender', store });
const plain = await listenSyncSocket({ node, host: '127.0.0.1', maxPayload: 16 * 1024 * 1024 });
const deflate = await listenSyncSocket({ node, host: '127.0.0.1', compress: true, maxPayload: 16 * 1024 * 1024 });
process.stdout.write(`ready ${plain.port} ${deflate.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  node.close();
  void Promise.all([plain.close(), deflate.close()]).then(() => process.exit(0));
});
