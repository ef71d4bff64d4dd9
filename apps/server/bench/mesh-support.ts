// What the multi-server sync benches (propagation, mesh) share: starting a peered server process,
// reading its raw delta stream, its sync counters, and summarising runs.
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './processes.ts';

const TOKEN = 'bench-token-0123456789';
const PEER_TOKEN = 'bench-peer-0123456789';
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export const peerEnv = {
  token: TOKEN,
  writeHeaders: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
};

const BACKEND = process.env.RHIZOME_BENCH_SYNC_BACKEND ?? 'pglite';
const DATABASE_URL =
  process.env.RHIZOME_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where node `name` keeps its deltas: PGlite under `dir`, or its own PostgreSQL schema. */
function storageEnv(dir: string, name: string): Record<string, string> {
  if (BACKEND === 'pglite') return { RHIZOME_DATA_DIR: join(dir, name) };
  if (BACKEND !== 'postgres') throw new Error('RHIZOME_BENCH_SYNC_BACKEND: pglite or postgres');
  return { DATABASE_URL, RHIZOME_DATABASE_SCHEMA: `${schemaPrefix()}_${name}` };
}

function schemaPrefix(): string {
  return `rhizome_bench_sync_${process.pid}`;
}

export const backend = BACKEND;

/** Drops the PostgreSQL schemas of the nodes started (nothing to do on PGlite). */
export async function dropSchemas(names: readonly string[]): Promise<void> {
  if (BACKEND !== 'postgres') return;
  const { default: postgres } = await import('postgres');
  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    for (const name of names)
      await sql.unsafe(`drop schema if exists ${schemaPrefix()}_${name} cascade`);
  } finally {
    await sql.end();
  }
}

/** The sync address of a server process started by `startPeerNode`. */
export function syncAddress(child: Child): string {
  return `${child.url.replace('http://', 'ws://')}/sync`;
}

/**
 * A server process on its own PGlite under `dir/name` (kept across restarts of the same name),
 * dialling `peers`. Every node accepts the others' peer token.
 */
export async function startPeerNode(
  dir: string,
  name: string,
  peers: readonly (Child | string)[],
  env: Record<string, string> = {},
): Promise<Child> {
  return startChild(
    'src/main.ts',
    {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RHIZOME_TOKENS: `${TOKEN}=bench:read+write+admin,${PEER_TOKEN}=peer:peer`,
      RHIZOME_PEER_TOKEN: PEER_TOKEN,
      RHIZOME_NODE_ID: name,
      ...storageEnv(dir, name),
      ...(peers.length === 0
        ? {}
        : {
            RHIZOME_PEERS: peers
              .map((peer) => (typeof peer === 'string' ? peer : syncAddress(peer)))
              .join(','),
          }),
      ...env,
    },
    '/readyz',
    serverDir,
  );
}

/** Reads `url`'s raw delta stream (SSE), calling `onDelta` with each delta as it arrives. */
export async function listenToDeltas(
  url: string,
  onDelta: (delta: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(`${url}/api/deltas/stream`, {
    signal,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (!response.ok || response.body === null) throw new Error(`stream: ${response.status}`);
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      const frames = buffered.split('\n\n');
      buffered = frames.pop() ?? '';
      for (const frame of frames) {
        const data = frame.split('\n').find((line) => line.startsWith('data: '));
        if (data !== undefined) onDelta(JSON.parse(data.slice(6)));
      }
    }
  } catch {
    // aborted at the end
  }
}

/** The node's sync counters since it started, from /metrics. */
export async function syncTotals(
  url: string,
): Promise<{ received: number; stored: number; announced: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1] ?? Number.NaN);
  };
  return {
    received: read('rhizome_sync_deltas_received_total'),
    stored: read('rhizome_sync_deltas_stored_total'),
    announced: read('rhizome_sync_announcements_received_total'),
  };
}

/** Deltas the node holds. */
export async function deltaCount(url: string): Promise<number> {
  const response = await fetch(`${url}/trpc/node.status`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const body = (await response.json()) as { result: { data: { deltas: number } } };
  return body.result.data.deltas;
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms: number,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

export function summarise(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
}

/** `min / median / max` with `digits` decimals. */
export function formatSummary(values: readonly number[], digits = 1): string {
  const { min, median, max } = summarise(values);
  return `${min.toFixed(digits)} / ${median.toFixed(digits)} / ${max.toFixed(digits)}`;
}
