import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startServerProcess } from './helpers.ts';

// Three real nodes, each `src/main.ts` in its own process on its own PGlite directory, linked over
// WebSockets on 127.0.0.1: C dials A and B, B dials A. C is killed with SIGKILL while A takes a
// stream of writes, A and B go on writing, C restarts on the same directory, resumes from the
// cursors it stored, and all three end with the same deltas and the same views.

interface Node {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
}

let dir: string;
const running: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-sync-processes-'));
});

afterAll(async () => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function start(name: string, peers: readonly Node[] = []): Promise<Node> {
  const node = await startServerProcess(name, {
    RHIZOME_DATA_DIR: join(dir, name),
    RHIZOME_PEERS: peers.map((peer) => `${peer.url.replace('http://', 'ws://')}/sync`).join(','),
  });
  running.push(node.child);
  return node;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok)
    throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Writes `count` deltas on `node` in batches of 20, each setting `<prefix>-<i % 17>.n` and `.by`. */
async function writeMany(node: Node, prefix: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 20) {
    const deltas = [];
    for (let i = start; i < Math.min(count, start + 20); i++) {
      const entity = `${prefix}-${i % 17}`;
      deltas.push({
        pointers: [
          { localContext: 'entity', target: { id: entity }, targetContext: 'n' },
          { localContext: 'n', target: i },
          { localContext: 'entity2', target: { id: entity }, targetContext: 'by' },
          { localContext: 'by', target: node.name },
        ],
      });
    }
    await json(`${node.url}/api/deltas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deltas }),
    });
  }
}

/** How many deltas the node holds (tRPC `node.status` over plain HTTP GET). */
async function deltaCount(node: Node): Promise<number> {
  const body = await json<{ result: { data: { deltas: number } } }>(`${node.url}/trpc/node.status`);
  return body.result.data.deltas;
}

/** Every entity's schemaless view, in id order, following the pages. */
async function allViews(node: Node): Promise<unknown[]> {
  const views: unknown[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page: { entities: unknown[]; cursor: string | null } = await json(
      `${node.url}/api/entities?limit=1000${query}`,
    );
    views.push(...page.entities);
    cursor = page.cursor;
  } while (cursor !== null);
  return views;
}

interface PeerRow {
  direction: string;
  nodeId: string | null;
  state: string;
  deltasReceived: number;
}

/** Polls until `probe` says yes; a node that does not answer yet counts as no. */
const waitFor = (what: string, probe: () => Promise<boolean>, timeoutMs = 60_000) =>
  eventually(
    () =>
      probe().then(
        (ok) => (ok ? true : undefined),
        () => undefined,
      ),
    what,
    timeoutMs,
  );

describe('three node processes over WebSockets', () => {
  it('converge after one is killed with SIGKILL mid-stream and restarted on its data', async () => {
    const a = await start('node-a');
    const b = await start('node-b', [a]);
    let c = await start('node-c', [a, b]);

    await writeMany(a, 'a', 200);
    await writeMany(b, 'b', 100);
    await waitFor('C to hold the first 300 deltas', async () => (await deltaCount(c)) === 300);

    // Kill C while A is taking a stream of writes.
    const streaming = writeMany(a, 'a-live', 400);
    await waitFor('C to receive part of the stream', async () => (await deltaCount(c)) > 300);
    c.child.kill('SIGKILL');
    await once(c.child, 'exit');
    await streaming;
    // Both survivors go on writing while C is down.
    await Promise.all([writeMany(a, 'a-late', 120), writeMany(b, 'b-late', 80)]);
    const total = 300 + 400 + 200;
    await waitFor(
      'A and B to converge',
      async () => (await deltaCount(a)) === total && (await deltaCount(b)) === total,
    );

    const heldByC = await (async () => {
      c = await start('node-c', [a, b]);
      return deltaCount(c);
    })();
    expect(heldByC).toBeGreaterThanOrEqual(300);
    expect(heldByC).toBeLessThan(total);
    await waitFor('C to catch up', async () => (await deltaCount(c)) === total);

    // Resumed, not downloaded again: what C received over both links after the restart is at
    // most what it lacked (a delta both peers offer at once may arrive twice).
    const { peers } = await json<{ peers: PeerRow[] }>(`${c.url}/api/peers`);
    expect(
      peers
        .filter((peer) => peer.state === 'open')
        .map((peer) => peer.nodeId)
        .sort(),
    ).toEqual(['node-a', 'node-b']);
    const received = peers.reduce((sum, peer) => sum + peer.deltasReceived, 0);
    expect(received).toBeGreaterThanOrEqual(total - heldByC);
    expect(received).toBeLessThanOrEqual(2 * (total - heldByC));

    const [viewsA, viewsB, viewsC] = await Promise.all([allViews(a), allViews(b), allViews(c)]);
    expect(viewsA.length).toBe(17 * 5); // five prefixes, 17 entities each
    expect(viewsB).toEqual(viewsA);
    expect(viewsC).toEqual(viewsA);

    for (const node of [a, b, c]) {
      node.child.kill('SIGTERM');
      const [code] = (await once(node.child, 'exit')) as [number | null];
      expect(code).toBe(0);
    }
  }, 240_000);
});
