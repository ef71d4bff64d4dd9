import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySyncStore } from '../src/memory-store.ts';
import { createSyncNode, type SyncNode, type SyncNodeOptions } from '../src/node.ts';
import { WebSocket } from 'ws';
import { connectSyncPeer, createWebSocketChannel, dialSyncSocket, listenSyncSocket, type ListeningSyncSocket } from '../src/ws/index.ts';
import { generateDeltas } from './fixtures.ts';

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WebSocket transport (127.0.0.1)', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  const start = (nodeId: string, options: Partial<SyncNodeOptions> = {}) => {
    const store = createMemorySyncStore();
    const node = createSyncNode({ nodeId, store, ...options });
    cleanup.push(() => node.close());
    return Object.assign(node, { store });
  };
  const listen = async (node: SyncNode): Promise<ListeningSyncSocket> => {
    const server = await listenSyncSocket({ node, host: '127.0.0.1' });
    cleanup.push(() => server.close());
    return server;
  };

  it('syncs both ways over a real socket, then live', async () => {
    const a = start('a');
    const b = start('b');
    await a.store.appendBatch(generateDeltas(3000, 1, 'a'));
    const server = await listen(a);
    const link = connectSyncPeer({ node: b, url: `ws://127.0.0.1:${server.port}` });
    cleanup.push(() => link.stop());
    await waitFor(() => b.store.size === 3000);
    await b.store.appendBatch(generateDeltas(10, 2, 'b'));
    await waitFor(() => a.store.size === 3010);
    expect(b.peers()[0]).toMatchObject({ state: 'open', peer: { nodeId: 'a' } });
  });

  it('works with permessage-deflate on both ends', async () => {
    const a = start('a');
    const b = start('b');
    await a.store.appendBatch(generateDeltas(500, 5));
    const server = await listenSyncSocket({ node: a, host: '127.0.0.1', compress: true });
    cleanup.push(() => server.close());
    const session = await dialSyncSocket({ node: b, url: `ws://127.0.0.1:${server.port}`, compress: true });
    await waitFor(() => b.store.size === 500);
    expect(session.snapshot().state).toBe('open');
  });

  it('refuses to listen on a port in use', async () => {
    const a = start('a');
    const server = await listen(a);
    await expect(listenSyncSocket({ node: a, host: '127.0.0.1', port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('closes the link with a typed error when the peer does not know the shared secret', async () => {
    const a = start('a', { secretFor: () => 'right' });
    const b = start('b', { secretFor: () => 'wrong' });
    const server = await listen(a);
    const session = await dialSyncSocket({ node: b, url: `ws://127.0.0.1:${server.port}` });
    await waitFor(() => session.snapshot().state === 'closed');
    expect(session.snapshot().lastError?.code).toBe('SYNC_AUTH_FAILED');
  });

  it('keeps the sender bounded while the receiving socket is stalled, then delivers everything', async () => {
    const limits = { maxBatchBytes: 8 * 1024, window: 4 };
    const a = start('a', { limits });
    const b = start('b', { limits });
    await a.store.appendBatch(generateDeltas(2_000, 21));
    const server = await listen(a);
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}`);
    cleanup.push(() => socket.terminate());
    // Attached in the open event itself: the peer's hello may arrive with the upgrade response.
    await new Promise<void>((resolve) =>
      socket.once('open', () => {
        b.attach(createWebSocketChannel(socket));
        resolve();
      }),
    );
    await waitFor(() => b.store.size > 0);
    // The receiver stops reading: its socket buffers fill and it grants no more credit.
    socket.pause();
    // Batches b had already taken in are stored and paid for in credit; after that, nothing moves.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sender = () => a.peers()[0]!;
    const atPause = sender().stats;
    for (let i = 0; i < 20; i++) {
      await a.store.appendBatch(generateDeltas(500, 200 + i, `more-${i}`));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stalled = sender();
    // 12,000 deltas (over 500 KB encoded) wait, but nothing beyond the credit window left the
    // sender, none is queued in its memory, and its socket holds at most that window.
    expect(stalled.credit).toBe(0);
    expect(stalled.queuedIds).toBe(0);
    expect(stalled.stats.batchesSent - atPause.batchesSent).toBeLessThanOrEqual(limits.window);
    expect(stalled.stats.bytesSent - atPause.bytesSent).toBeLessThanOrEqual(limits.window * (limits.maxBatchBytes + 1024));
    expect(a.sessions()[0]!.snapshot().state).toBe('open');
    expect(b.store.size).toBeLessThan(12_000);
    socket.resume();
    await waitFor(() => b.store.size === 12_000);
    expect(b.peers()[0]!.stats.deltasReceived).toBe(12_000);
  });

  it('reconnects after the server restarts and resumes from its cursor', async () => {
    const a = start('a');
    const b = start('b');
    await a.store.appendBatch(generateDeltas(500, 3));
    let server = await listen(a);
    const port = server.port;
    const link = connectSyncPeer({ node: b, url: `ws://127.0.0.1:${port}`, backoff: { baseMs: 20, maxMs: 100 } });
    cleanup.push(() => link.stop());
    await waitFor(() => b.store.size === 500);
    await server.close();
    await a.store.appendBatch(generateDeltas(50, 4, 'later'));
    server = await listenSyncSocket({ node: a, host: '127.0.0.1', port });
    cleanup.push(() => server.close());
    await waitFor(() => b.store.size === 550);
    expect(link.current()?.snapshot().stats.deltasReceived).toBe(50);
  });
});
