import { join } from 'node:path';
import { createClient, getRhizomeError } from '@rhizome/client';
import { describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { eventually, silentLogger, syncUrl, testConfig, TOKENS, useSyncPeer } from './helpers.ts';

// Peers added through the API are saved in the node's storage: B (PGlite on disk) adds A, is
// restarted on the same directory and dials A again; once removed, A stays gone across restarts.

/** Configured on B and never answering: only there to be refused by DELETE. */
const CONFIGURED = 'ws://127.0.0.1:9/sync';

describe('peers saved in storage', () => {
  const fixture = useSyncPeer('rhizome-saved-peers-');

  it('dials an added peer again after a restart, and forgets a removed one', async () => {
    const a = fixture.a();
    const dir = fixture.dir();
    const config = testConfig({
      RHIZOME_NODE_ID: 'node-b',
      RHIZOME_DATA_DIR: join(dir, 'b'),
      RHIZOME_PEERS: CONFIGURED,
      RHIZOME_PEER_TOKEN: TOKENS.peer,
    });
    const request = (
      server: RunningServer,
      method: string,
      path: string,
      init: { body?: unknown; token?: string } = {},
    ) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${init.token ?? TOKENS.admin}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    const remove = (server: RunningServer, address: string, token?: string) =>
      request(
        server,
        'DELETE',
        `/api/peers?address=${encodeURIComponent(address)}`,
        token === undefined ? {} : { token },
      );
    const peersOf = async (server: RunningServer) =>
      (
        (await (await request(server, 'GET', '/api/peers')).json()) as {
          peers: Record<string, unknown>[];
        }
      ).peers;
    const aliceOnA = createClient({ url: a.url, token: TOKENS.alice });
    const viewOn = (server: RunningServer, id: string, name: string) => {
      const client = createClient({ url: server.url, token: TOKENS.alice });
      return eventually(
        () =>
          client.entities.get.query({ id }).then(
            (view) => (view.name === name ? view : undefined),
            () => undefined,
          ),
        `${id} on ${server.url}`,
      );
    };
    const inboundOnA = async () =>
      (await aliceOnA.peers.list.query()).peers.filter((peer) => peer.direction === 'inbound');

    let b = await startServer(config, { logger: silentLogger });
    try {
      const added = await request(b, 'POST', '/api/peers', { body: { address: a.url } });
      expect(added.status).toBe(201);
      expect(await added.json()).toMatchObject({
        peer: { address: syncUrl(a), direction: 'outbound', seed: true, origin: 'api' },
      });
      await aliceOnA.entities.put.mutate({ id: 'ada', properties: { name: 'Ada' } });
      await viewOn(b, 'ada', 'Ada');
    } finally {
      await b.close();
    }

    b = await startServer(config, { logger: silentLogger });
    try {
      expect(await peersOf(b)).toEqual([
        expect.objectContaining({
          address: CONFIGURED,
          direction: 'outbound',
          seed: true,
          origin: 'config',
        }),
        expect.objectContaining({
          address: syncUrl(a),
          direction: 'outbound',
          seed: true,
          origin: 'api',
        }),
      ]);
      await eventually(
        async () =>
          (await peersOf(b)).some((peer) => peer.address === syncUrl(a) && peer.state === 'open')
            ? true
            : undefined,
        'the saved link to open again',
      );
      await aliceOnA.entities.put.mutate({ id: 'grace', properties: { name: 'Grace' } });
      await viewOn(b, 'grace', 'Grace');

      // Refusals: no admin scope, a bad or missing address, a peer B does not dial, a configured one.
      const reader = await remove(b, syncUrl(a), TOKENS.reader);
      expect(reader.status).toBe(403);
      expect(await reader.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
      const bad = await remove(b, 'ftp://example.org');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
      const missing = await request(b, 'DELETE', '/api/peers');
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
      const unknown = await remove(b, 'ws://127.0.0.1:10/sync');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({
        error: {
          code: 'PEER_NOT_FOUND',
          message: expect.any(String),
          details: { address: 'ws://127.0.0.1:10/sync' },
        },
      });
      const configured = await remove(b, CONFIGURED);
      expect(configured.status).toBe(409);
      expect(await configured.json()).toMatchObject({ error: { code: 'PEER_CONFIGURED' } });
      const viaTrpc = await createClient({ url: b.url, token: TOKENS.admin })
        .peers.remove.mutate({ address: 'http://127.0.0.1:10' })
        .catch((error: unknown) => error);
      expect(getRhizomeError(viaTrpc)?.code).toBe('PEER_NOT_FOUND');
      expect(await inboundOnA()).toEqual([
        expect.objectContaining({ nodeId: 'node-b', state: 'open' }),
      ]);

      const removed = await remove(b, syncUrl(a));
      expect(removed.status).toBe(204);
      expect(await removed.text()).toBe('');
      expect((await peersOf(b)).map((peer) => peer.address)).toEqual([CONFIGURED]);
      // B said goodbye: A drops its end, and B does not dial again.
      await eventually(
        async () => ((await inboundOnA()).length === 0 ? true : undefined),
        'A to drop the link',
      );
      expect((await remove(b, syncUrl(a))).status).toBe(404);
    } finally {
      await b.close();
    }

    b = await startServer(config, { logger: silentLogger });
    try {
      expect((await peersOf(b)).map((peer) => peer.address)).toEqual([CONFIGURED]);
      // Added again through tRPC, it is saved again.
      const admin = createClient({ url: b.url, token: TOKENS.admin });
      expect(await admin.peers.add.mutate({ address: syncUrl(a) })).toMatchObject({
        peer: { origin: 'api' },
      });
      expect(await admin.peers.remove.mutate({ address: syncUrl(a) })).toEqual({
        address: syncUrl(a),
      });
      await eventually(
        async () => ((await inboundOnA()).length === 0 ? true : undefined),
        'A to drop the link',
      );
    } finally {
      await b.close();
    }
  }, 60_000);
});
