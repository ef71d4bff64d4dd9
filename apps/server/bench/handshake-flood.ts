// `pnpm bench` in apps/server (issue 15 item 7): 1,000 WebSocket upgrades on /sync from one
// address that never send `hello`. Prints how many the node answered 503 SYNC_HANDSHAKES_BUSY,
// /healthz latency and resident memory during the flood, beside the same node idle (the same-run
// baseline). Loopback only, bounded in count and time.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLatency as fmt, healthMs, residentMiB } from './measure.ts';
import { startChild } from './processes.ts';

const SOCKETS = Number(process.env.RHIZOME_BENCH_HANDSHAKES ?? 1_000);
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const dataDir = await mkdtemp(join(tmpdir(), 'rhizome-bench-handshakes-'));
const node = await startChild(
  'src/main.ts',
  {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RHIZOME_DATA_DIR: join(dataDir, 'pglite'),
    // The per-address connection cap would refuse most of them first: measure the handshake cap.
    RHIZOME_MAX_CONNECTIONS_PER_ADDRESS: String(SOCKETS + 100),
  },
  '/readyz',
  serverDir,
);
const sockets: Socket[] = [];
try {
  const port = Number(new URL(node.url).port);
  const idleHealth = await healthMs(node.url);
  const idleRss = await residentMiB(node.url);
  let busy = 0;
  let upgraded = 0;
  await Promise.all(
    Array.from(
      { length: SOCKETS },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port });
          sockets.push(socket);
          socket.on('error', () => resolve());
          socket.once('data', (chunk: Buffer) => {
            const head = chunk.toString('latin1');
            if (head.startsWith('HTTP/1.1 503')) busy++;
            else if (head.startsWith('HTTP/1.1 101')) upgraded++;
            resolve();
          });
          socket.once('close', () => resolve());
          socket.once('connect', () =>
            socket.write(
              `GET /sync HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
            ),
          );
        }),
    ),
  );
  const floodHealth = await healthMs(node.url);
  const floodRss = await residentMiB(node.url);
  console.log(`\nHandshake flood: ${SOCKETS} WebSocket upgrades on /sync that never send hello`);
  console.log('| measure | node idle (baseline) | during the flood |');
  console.log('| --- | --- | --- |');
  console.log(`| /healthz | ${fmt(idleHealth)} | ${fmt(floodHealth)} |`);
  console.log(`| resident memory | ${idleRss.toFixed(0)} MiB | ${floodRss.toFixed(0)} MiB |`);
  console.log(`- upgraded (pending handshakes, capped): ${upgraded}`);
  console.log(`- refused with 503 SYNC_HANDSHAKES_BUSY: ${busy}`);
} finally {
  for (const socket of sockets) socket.destroy();
  await node.stop();
  await rm(dataDir, { recursive: true, force: true });
}
