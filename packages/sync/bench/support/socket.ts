import { WebSocket } from 'ws';
import type { SyncNode } from '../../src/node.ts';
import type { Session } from '../../src/session.ts';
import { createWebSocketChannel } from '../../src/ws/index.ts';

export interface BenchLink {
  readonly session: Session;
  /** Bytes the TCP socket has read (WebSocket framing and compression included). */
  bytesRead(): number;
  close(): void;
}

/**
 * Dials a sync peer and keeps the socket, so a benchmark can read what really crossed the wire.
 * The session is attached in the `open` event itself: the peer's hello may arrive with the
 * upgrade response.
 */
export function dialForBench(node: SyncNode, url: string, compress = false): Promise<BenchLink> {
  const socket = new WebSocket(url, { perMessageDeflate: compress, maxPayload: 16 * 1024 * 1024 });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => {
      const session = node.attach(createWebSocketChannel(socket), { address: url });
      // `_socket` is ws's net.Socket; only benchmarks reach for it.
      const tcp = (socket as unknown as { _socket: { bytesRead: number } })._socket;
      let read = 0;
      socket.once('close', () => {
        read = tcp.bytesRead;
      });
      resolve({
        session,
        bytesRead: () => (socket.readyState === WebSocket.OPEN ? tcp.bytesRead : read),
        close: () => session.close(),
      });
    });
  });
}

/** Resolves once `store`'s listeners have seen it reach `size` (checked after every append). */
export function waitForSize(store: { readonly size: number; onAppend(listener: () => void): () => void }, size: number): Promise<void> {
  return new Promise((resolve) => {
    if (store.size >= size) return resolve();
    const stop = store.onAppend(() => {
      if (store.size >= size) {
        stop();
        resolve();
      }
    });
  });
}

export const formatRate = (perSecond: number): string => Math.round(perSecond).toLocaleString('en');

export function printRows(title: string, rows: readonly (readonly [string, string])[]): void {
  console.log(`\n${title}`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(62)} ${value}`);
}
