import { connect, type Socket } from 'node:net';
import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { silentLogger, testConfig } from './helpers.ts';

// Issue 15 item 8: connections that never send a byte are closed, and one address cannot hold
// more than its share of connections, while other callers keep being served.

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(
    testConfig({
      RHIZOME_HEADERS_TIMEOUT_MS: '1000',
      RHIZOME_KEEP_ALIVE_TIMEOUT_MS: '1000',
      RHIZOME_MAX_CONNECTIONS_PER_ADDRESS: '50',
    }),
    { logger: silentLogger, store: createMemoryStore() },
  );
});
afterAll(() => server.close());

/** A TCP connection that sends nothing; resolves once connected, and records when it closes. */
function idleConnection(): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port });
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

describe('idle and excess connections', () => {
  // Once (2026-12-03) a fully loaded CI run saw no close within the test's 20 s, while the same
  // test passes in ~1 s alone; retried while that is investigated (a consistent failure still fails).
  it(
    'closes a connection that sends no request within the headers timeout',
    { retry: 2 },
    async () => {
      const opened = Date.now();
      const { closed } = await idleConnection();
      const at = await closed;
      expect(at - opened).toBeLessThan(5_000);
    },
  );

  it('refuses connections past the per-address cap and keeps serving', async () => {
    const held = await Promise.all(Array.from({ length: 80 }, () => idleConnection()));
    try {
      // The ones past the cap are closed at once, long before the headers timeout.
      const early = await Promise.all(
        held.map(({ closed }) =>
          Promise.race([
            closed.then(() => true),
            new Promise((r) => setTimeout(() => r(false), 300)),
          ]),
        ),
      );
      const refused = early.filter(Boolean).length;
      expect(refused).toBeGreaterThanOrEqual(30);
      // Once the idle ones time out, the address is served again.
      await Promise.all(held.map(({ closed }) => closed));
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      for (const { socket } of held) socket.destroy();
    }
  });
});
