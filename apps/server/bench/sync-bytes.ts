// `pnpm bench` in apps/server, part 2: bytes on the wire per delta when a fresh server catches up
// with another over /sync, with permessage-deflate (the default) against the same run without it.
// Both nodes are real server processes on PGlite; a TCP relay between them counts the bytes.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './processes.ts';
import { progress } from './measure.ts';

const DELTAS = Number(process.env.RHIZOME_BENCH_SYNC_DELTAS ?? 20_000);
const RUNS = Number(process.env.RHIZOME_BENCH_SYNC_RUNS ?? 3);
const TOKEN = 'bench-token-0123456789';
const PEER_TOKEN = 'bench-peer-0123456789';
const TOKENS = `${TOKEN}=bench:read+write,${PEER_TOKEN}=peer:peer`;
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A TCP relay to `port` that counts the bytes it forwards each way. */
async function startRelay(port: number) {
  const counts = { down: 0, up: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('data', (chunk: Buffer) => (counts.up += chunk.length));
    upstream.on('data', (chunk: Buffer) => (counts.down += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const relayPort = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port: relayPort,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function status(url: string): Promise<{ deltas: number }> {
  const response = await fetch(`${url}/trpc/node.status`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const body = (await response.json()) as { result: { data: { deltas: number } } };
  return body.result.data;
}

async function fill(url: string): Promise<void> {
  const batch = 500;
  for (let start = 0; start < DELTAS; start += batch) {
    const deltas = [];
    for (let n = start; n < Math.min(DELTAS, start + batch); n++) {
      deltas.push({
        pointers: [
          { localContext: 'entity', target: { id: `item-${n % 2000}` }, targetContext: 'count' },
          { localContext: 'count', target: n },
        ],
      });
    }
    const response = await fetch(`${url}/api/deltas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deltas }),
    });
    if (!response.ok) throw new Error(`POST /api/deltas: ${response.status}`);
  }
}

async function node(dir: string, name: string, env: Record<string, string> = {}): Promise<Child> {
  return startChild(
    'src/main.ts',
    {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RHIZOME_TOKENS: TOKENS,
      RHIZOME_NODE_ID: name,
      RHIZOME_DATA_DIR: join(dir, name),
      ...env,
    },
    '/readyz',
    serverDir,
  );
}

async function catchUp(dir: string, sourcePort: number, mode: 'on' | 'off', run: number) {
  const relay = await startRelay(sourcePort);
  const started = performance.now();
  const joiner = await node(dir, `joiner-${mode}-${run}`, {
    RHIZOME_PEERS: `ws://127.0.0.1:${relay.port}/sync`,
    RHIZOME_PEER_TOKEN: PEER_TOKEN,
    RHIZOME_SYNC_COMPRESSION: mode,
  });
  try {
    const deadline = Date.now() + 300_000;
    while ((await status(joiner.url)).deltas < DELTAS) {
      if (Date.now() > deadline) throw new Error(`catch-up (${mode}) did not finish in 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { bytes: relay.counts.down / DELTAS, seconds: (performance.now() - started) / 1000 };
  } finally {
    await joiner.stop();
    await relay.close();
  }
}

const summary = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
};

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rhizome-bench-sync-'));
  let source: Child | undefined;
  try {
    progress(`source node: ${DELTAS} deltas`);
    source = await node(dir, 'source');
    await fill(source.url);
    const port = Number(new URL(source.url).port);
    type Result = { bytes: number; seconds: number };
    const results: Record<'on' | 'off', Result[]> = { on: [], off: [] };
    for (let run = 0; run < RUNS; run++) {
      for (const mode of ['on', 'off'] as const) {
        progress(`run ${run + 1}/${RUNS}: catch-up with compression ${mode}`);
        results[mode].push(await catchUp(dir, port, mode, run));
      }
    }
    console.log(`\nSync catch-up of ${DELTAS} deltas, bytes from source to joiner per delta`);
    console.log('| compression | bytes/delta min / median / max | catch-up s min / median / max |');
    console.log('| --- | --- | --- |');
    for (const mode of ['on', 'off'] as const) {
      const bytes = summary(results[mode].map((r) => r.bytes));
      const seconds = summary(results[mode].map((r) => r.seconds));
      console.log(
        `| ${mode} | ${bytes.min.toFixed(1)} / ${bytes.median.toFixed(1)} / ${bytes.max.toFixed(1)} | ` +
          `${seconds.min.toFixed(1)} / ${seconds.median.toFixed(1)} / ${seconds.max.toFixed(1)} |`,
      );
    }
    const ratio =
      summary(results.on.map((r) => r.bytes)).median /
      summary(results.off.map((r) => r.bytes)).median;
    console.log(`- compressed / uncompressed bytes per delta (medians): ${ratio.toFixed(3)}`);
  } finally {
    await source?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
