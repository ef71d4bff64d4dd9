// `pnpm bench` in apps/server, part 4 (issue 15 item 8): one address opens 1,500 TCP connections
// to a server process and sends nothing. Prints how many the node refused at once, how many were
// still open after the headers timeout, /healthz latency and resident memory during the attack,
// each beside the same node idle (the same-run baseline). Loopback only, bounded in count and time.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLatency as fmt, healthMs, residentMiB } from './measure.ts';
import { startChild } from './processes.ts';

const CONNECTIONS = Number(process.env.RHIZOME_BENCH_IDLE_CONNECTIONS ?? 1_500);
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const dataDir = await mkdtemp(join(tmpdir(), 'rhizome-bench-idle-'));
const node = await startChild(
  'src/main.ts',
  { HOST: '127.0.0.1', LOG_LEVEL: 'warn', RHIZOME_DATA_DIR: join(dataDir, 'pglite') },
  '/readyz',
  serverDir,
);
const sockets: Socket[] = [];
try {
  const port = Number(new URL(node.url).port);
  const idleHealth = await healthMs(node.url);
  const idleRss = await residentMiB(node.url);
  let closed = 0;
  await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port });
          sockets.push(socket);
          socket.on('error', () => {});
          socket.once('close', () => closed++);
          socket.once('connect', () => resolve());
          socket.once('error', () => resolve());
        }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const refusedAtOnce = closed;
  const attackHealth = await healthMs(node.url);
  const attackRss = await residentMiB(node.url);
  await new Promise((resolve) => setTimeout(resolve, 11_000)); // past the 10 s headers timeout
  console.log(`\nIdle connections: ${CONNECTIONS} from 127.0.0.1 that never send a byte`);
  console.log('| measure | node idle (baseline) | under the attack |');
  console.log('| --- | --- | --- |');
  console.log(`| /healthz | ${fmt(idleHealth)} | ${fmt(attackHealth)} |`);
  console.log(`| resident memory | ${idleRss.toFixed(0)} MiB | ${attackRss.toFixed(0)} MiB |`);
  console.log(`- refused at once (per-address cap): ${refusedAtOnce}`);
  console.log(`- still open after 11 s (headers timeout 10 s): ${CONNECTIONS - closed}`);
} finally {
  for (const socket of sockets) socket.destroy();
  await node.stop();
  await rm(dataDir, { recursive: true, force: true });
}
