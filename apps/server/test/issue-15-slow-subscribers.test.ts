import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  startServerProcess,
  TOKEN_ENTRIES,
  TOKENS,
  type ServerProcess,
} from './helpers.ts';

// Issue 15 item 9: subscribers that never read are dropped (and counted) once they are a buffer
// behind, over REST SSE and tRPC SSE, while subscribers that read keep every delta, including a
// write larger than the buffer. A real server process, real sockets.

const BUFFER = 20;
const auth = `Bearer ${TOKENS.alice}`;
let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-slow-'));
  server = await startServerProcess('slow-node', {
    RHIZOME_DATA_DIR: join(dir, 'data'),
    RHIZOME_TOKENS: JSON.stringify(TOKEN_ENTRIES),
    RHIZOME_STREAM_BUFFER: String(BUFFER),
  });
}, 60_000);

afterAll(async () => {
  server?.child.kill('SIGKILL');
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A GET over a raw socket that reads the response head and then never reads again. */
async function openStalled(path: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const { hostname, port } = new URL(server.url);
  const socket = connect({ host: hostname, port: Number(port) });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n` +
          `Authorization: ${auth}\r\n\r\n`,
      );
    });
    socket.once('data', (chunk: Buffer) => {
      socket.pause(); // from here on the kernel buffers fill, then the server's writes stall
      const head = chunk.toString();
      if (head.startsWith('HTTP/1.1 200')) resolve();
      else reject(new Error(`stream refused: ${head}`));
    });
  });
  return { socket, closed };
}

/** A subscriber that reads everything: the event ids it saw. */
function openHealthy(path: string): { ids: string[]; stop(): void; failed: () => unknown } {
  const controller = new AbortController();
  const ids: string[] = [];
  let failure: unknown;
  void (async () => {
    const response = await fetch(`${server.url}${path}`, {
      headers: { accept: 'text/event-stream', authorization: auth },
      signal: controller.signal,
    });
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body!) {
      buffered += decoder.decode(chunk, { stream: true });
      const events = buffered.split('\n\n');
      buffered = events.pop() ?? '';
      for (const event of events) {
        if (/^event: (error|serialized-error)$/m.test(event)) failure = event;
        const id = /^id: (\d+)$/m.exec(event)?.[1];
        if (id !== undefined) ids.push(id);
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) failure = error;
  });
  return { ids, stop: () => controller.abort(), failed: () => failure };
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

let written = 0;
async function writeBatch(size: number, padding: number): Promise<void> {
  const deltas: unknown[] = Array.from({ length: size }, () => {
    written += 1;
    return {
      pointers: [
        { localContext: 'entity', target: { id: `e${written}` }, targetContext: 'blob' },
        { localContext: 'blob', target: `${written}:${'x'.repeat(padding)}` },
      ],
    };
  });
  // Each batch also changes the watched entity (one more delta on the raw streams).
  written += 1;
  deltas.push({
    pointers: [
      { localContext: 'entity', target: { id: 'hot' }, targetContext: 'n' },
      { localContext: 'n', target: written },
    ],
  });
  const response = await fetch(`${server.url}/api/deltas`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify({ deltas }),
  });
  expect(response.status, await response.text()).toBe(200);
}

describe('slow subscribers', () => {
  it('are dropped and counted, while readers keep every delta', async () => {
    const restPath = '/api/deltas/stream';
    const trpcPath = '/trpc/deltas.stream';
    const healthy = [openHealthy(restPath), openHealthy(trpcPath)];
    const stalled = [await openStalled(restPath), await openStalled(trpcPath)];
    // Entity views conflate: a watcher that never reads holds its newest view, never dropped.
    const input = encodeURIComponent(JSON.stringify({ id: 'hot' }));
    const watchers = [
      await openStalled('/api/entities/hot/watch'),
      await openStalled(`/trpc/entities.watch?input=${input}`),
    ];
    await eventually(
      async () => ((await metric('rhizome_subscriptions')) === 6 ? true : undefined),
      'six open subscriptions',
    );
    expect(await metric('rhizome_subscribers_dropped_total')).toBe(0);

    // One write ten buffers large: every subscriber had kept up, none is dropped for it.
    await writeBatch(BUFFER * 10, 10);
    await eventually(
      () => (healthy.every((h) => h.ids.length === written) ? true : undefined),
      'the large batch at the healthy subscribers',
    );
    expect(await metric('rhizome_subscribers_dropped_total')).toBe(0);

    // Large deltas until both stalled subscribers are a buffer behind, past the socket buffers.
    const before = written;
    while ((await metric('rhizome_subscribers_dropped_total')) < 2) {
      await writeBatch(5, 16 * 1024);
      expect(written - before).toBeLessThan(5_000); // ≈ 80 MB: the drop never came
    }
    const afterDrop = written - before;
    // The server ended both responses: reading what the kernel buffered reaches their end.
    for (const { socket } of stalled) socket.on('data', () => {}).resume();
    await Promise.all(stalled.map(({ closed }) => closed));
    expect(await metric('rhizome_subscribers_dropped_total')).toBe(2);
    expect(await metric('rhizome_subscriptions')).toBe(4); // the readers and the two watchers

    await writeBatch(BUFFER * 3, 10);
    await eventually(
      () => (healthy.every((h) => h.ids.length === written) ? true : undefined),
      'every delta at the healthy subscribers',
    );
    for (const h of healthy) {
      expect(h.failed()).toBeUndefined();
      const seqs = h.ids.map(Number);
      expect(seqs).toEqual(Array.from({ length: written }, (_, i) => seqs[0]! + i));
      h.stop();
    }
    for (const { socket } of watchers) socket.destroy();
    console.info(`stalled subscribers dropped after ${afterDrop} deltas of 16 KiB`);
  }, 120_000);
});
