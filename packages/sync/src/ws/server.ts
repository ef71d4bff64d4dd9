import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { SyncNode } from '../node.ts';
import type { SessionOptions } from '../session.ts';
import { defaultSyncLimits } from '../limits.ts';
import { createWebSocketChannel } from './channel.ts';

export interface SyncSocketServer {
  /**
   * Hand an HTTP upgrade to sync; the app's server owns the `upgrade` event and routes here.
   * `session` applies to the link's session (say, a policy chosen by the caller's credentials).
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, session?: Pick<SessionOptions, 'policy'>): void;
  close(): Promise<void>;
}

export interface SyncSocketServerOptions {
  readonly node: SyncNode;
  /** Largest frame accepted by the socket layer; defaults to the sync frame limit. */
  readonly maxPayload?: number;
  /**
   * Offer permessage-deflate. The compact batch encoding already drops most redundancy, and
   * deflate costs CPU on both ends, so it is off unless links are slow or metered.
   */
  readonly compress?: boolean;
  /**
   * Links still in their handshake (no hello yet) at most, over all addresses (default 64) and
   * from one remote address (default 8). Past either, an upgrade is answered 503 before any
   * WebSocket or session exists: a flood of sockets that never say hello stays cheap and cannot
   * crowd out real peers. Each handshake also ends after `handshakeTimeoutMs` (sync limits).
   */
  readonly maxPendingHandshakes?: number;
  readonly maxPendingHandshakesPerAddress?: number;
}

/** Accepts sync peers on upgrades handed over by an existing HTTP server. */
export function createSyncSocketServer(options: SyncSocketServerOptions): SyncSocketServer {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload ?? defaultSyncLimits.maxFrameBytes,
    perMessageDeflate: options.compress === true,
  });
  const maxPending = options.maxPendingHandshakes ?? 64;
  const maxPendingPerAddress = options.maxPendingHandshakesPerAddress ?? 8;
  const pendingByAddress = new Map<string, number>();
  let pending = 0;
  // A handshake counts from the upgrade request until its session opens or the link ends.
  const reserve = (remote: string): (() => void) => {
    pending++;
    pendingByAddress.set(remote, (pendingByAddress.get(remote) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      pending--;
      const left = (pendingByAddress.get(remote) ?? 1) - 1;
      if (left <= 0) pendingByAddress.delete(remote);
      else pendingByAddress.set(remote, left);
    };
  };
  const release = new WeakMap<IncomingMessage, () => void>();
  const sessionOptions = new WeakMap<IncomingMessage, Pick<SessionOptions, 'policy'>>();
  server.on('connection', (socket, request) => {
    const address = `${request.socket.remoteAddress ?? 'unknown'}:${request.socket.remotePort ?? 0}`;
    const session = options.node.attach(createWebSocketChannel(socket), { ...sessionOptions.get(request), address });
    const done = release.get(request);
    if (done !== undefined) {
      session.onOpened(done);
      session.onClosed(done);
    }
  });
  return {
    handleUpgrade(request, socket, head, session) {
      if (session !== undefined) sessionOptions.set(request, session);
      const remote = request.socket.remoteAddress ?? 'unknown';
      if (pending >= maxPending || (pendingByAddress.get(remote) ?? 0) >= maxPendingPerAddress) {
        const body = JSON.stringify({
          error: {
            code: 'SYNC_HANDSHAKES_BUSY',
            message: 'too many sync handshakes in progress; retry later',
            details: null,
          },
        });
        socket.end(
          `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      const done = reserve(remote);
      release.set(request, done);
      socket.once('close', done); // also when the upgrade itself fails
      server.handleUpgrade(request, socket, head, (ws) => server.emit('connection', ws, request));
    },
    close() {
      for (const client of server.clients) client.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ListeningSyncSocket {
  readonly port: number;
  close(): Promise<void>;
}

/** A standalone listener (tools and tests); apps attach `createSyncSocketServer` to their server. */
export async function listenSyncSocket(options: SyncSocketServerOptions & { host?: string; port?: number }): Promise<ListeningSyncSocket> {
  const sync = createSyncSocketServer(options);
  const http = createServer((_request, response) => {
    response.writeHead(426).end('sync endpoint: upgrade to WebSocket');
  });
  http.on('upgrade', (request, socket, head) => sync.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve, reject) => {
    // A port in use must fail the call, not leave it pending.
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    async close() {
      await sync.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
