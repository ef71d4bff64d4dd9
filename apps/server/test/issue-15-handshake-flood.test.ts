import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { silentLogger, syncUrl, testConfig, TOKENS, tryUpgrade } from './helpers.ts';

// Issue 15 item 7: sockets on /sync that never say hello are capped per address and in all, so
// a flood of them is refused cheaply (503 before any WebSocket exists) and frees its places as
// the sockets go.

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(
    testConfig({
      RHIZOME_SYNC_MAX_PENDING_HANDSHAKES: '5',
      RHIZOME_SYNC_MAX_PENDING_HANDSHAKES_PER_ADDRESS: '3',
    }),
    { logger: silentLogger, store: createMemoryStore() },
  );
});
afterAll(() => server.close());

/** Opens a raw WebSocket that never sends hello; resolves with it, or with the refusal. */
const silentLink = () => tryUpgrade(syncUrl(server), { authorization: `Bearer ${TOKENS.peer}` });

describe('pending sync handshakes', () => {
  it('refuses silent links past the per-address cap with 503, and takes new ones as they go', async () => {
    const held = [await silentLink(), await silentLink(), await silentLink()];
    expect(held.map((link) => link.status)).toEqual([101, 101, 101]);
    const refused = await silentLink();
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body!)).toMatchObject({ error: { code: 'SYNC_HANDSHAKES_BUSY' } });
    // The node still serves everyone else meanwhile.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    for (const link of held) link.socket!.terminate();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await silentLink();
    expect(again.status).toBe(101);
    again.socket!.terminate();
  });
});
