import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How long a client may hold a connection without finishing its work, and how many it may hold. */
export interface ConnectionLimits {
  /** All request headers must arrive within this (ms), also on a connection that sends nothing. */
  readonly headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this (ms); responses may stream. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  readonly keepAliveTimeoutMs: number;
  /** Open connections from one remote address at most; more are closed at once. */
  readonly maxConnectionsPerAddress: number;
}

/** The `node:http` server options that carry the timeouts (they must be set at creation). */
export function httpServerOptions(limits: ConnectionLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often Node looks for connections past those timeouts (its default is 30 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, limits.headersTimeoutMs / 4)),
  };
}

/**
 * Guards the server's connections: one beyond `maxConnectionsPerAddress` from the same remote
 * address is closed as soon as it opens (one client cannot take every file descriptor of the
 * node), and one that sends no request within `headersTimeoutMs` is closed (Node's own
 * headersTimeout only counts once a request has begun). Returns a counter of refused ones.
 */
export function guardConnections(server: Server, limits: ConnectionLimits) {
  const open = new Map<string, number>();
  let refused = 0;
  const begun = (socket: Socket) => socket.setTimeout(0);
  server.on('request', (request: { socket: Socket }) => begun(request.socket));
  server.on('upgrade', (_request: unknown, socket: Socket) => begun(socket));
  server.on('connection', (socket: Socket) => {
    socket.setTimeout(limits.headersTimeoutMs, () => socket.destroy());
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerAddress) {
      refused++;
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  return { refused: () => refused };
}
