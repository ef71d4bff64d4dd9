import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { SyncNode } from '../node.ts';
import { defaultSyncLimits } from '../limits.ts';
import { createWebSocketChannel } from './channel.ts';

export interface SyncSocketServer {
  /** Hand an HTTP upgrade to sync; the app's server owns the `upgrade` event and routes here. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
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
}

/** Accepts sync peers on upgrades handed over by an existing HTTP server. */
export function createSyncSocketServer(options: SyncSocketServerOptions): SyncSocketServer {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload ?? defaultSyncLimits.maxFrameBytes,
    perMessageDeflate: options.compress === true,
  });
  server.on('connection', (socket, request) => {
    const address = `${request.socket.remoteAddress ?? 'unknown'}:${request.socket.remotePort ?? 0}`;
    options.node.attach(createWebSocketChannel(socket), { address });
  });
  return {
    handleUpgrade(request, socket, head) {
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
