import { join } from 'node:path';
import { createClient, getRhizomeError } from '@rhizome/client';
import { createMemoryStore } from '@rhizome/storage';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer } from '../src/server.ts';
import {
  eventually,
  silentLogger,
  syncUrl,
  testConfig,
  TOKENS,
  tryUpgrade,
  useSyncPeer,
} from './helpers.ts';

/** The status of a raw WebSocket upgrade to `url` with these headers (101 when accepted). */
async function upgradeStatus(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { status, body, socket } = await tryUpgrade(url, headers);
  socket?.terminate();
  return { status, body };
}

describe('the sync endpoint of a server', () => {
  const fixture = useSyncPeer('rhizome-sync-');

  it('refuses upgrades without a peer token, with the wrong scope, or on another path', async () => {
    const a = fixture.a();
    const none = await upgradeStatus(syncUrl(a));
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const reader = await upgradeStatus(syncUrl(a), { authorization: `Bearer ${TOKENS.reader}` });
    expect(reader.status).toBe(403);
    expect(JSON.parse(reader.body)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const unknown = await upgradeStatus(syncUrl(a), {
      authorization: 'Bearer not-a-token-at-all-000',
    });
    expect(unknown.status).toBe(401);
    const elsewhere = await upgradeStatus(`${a.url.replace('http://', 'ws://')}/other`, {
      authorization: `Bearer ${TOKENS.peer}`,
    });
    expect(elsewhere.status).toBe(404);
    expect(JSON.parse(elsewhere.body)).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    const peer = await upgradeStatus(syncUrl(a), { authorization: `Bearer ${TOKENS.peer}` });
    expect(peer.status).toBe(101);
  });

  it('negotiates permessage-deflate on /sync unless RHIZOME_SYNC_COMPRESSION is off', async () => {
    const extensionsOf = (url: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(url, {
          headers: { authorization: `Bearer ${TOKENS.peer}` },
          perMessageDeflate: true,
        });
        socket.once('open', () => {
          resolve(socket.extensions);
          socket.terminate();
        });
        socket.once('error', reject);
      });
    expect(await extensionsOf(syncUrl(fixture.a()))).toContain('permessage-deflate');
    const plain = await startServer(
      testConfig({ RHIZOME_NODE_ID: 'node-plain', RHIZOME_SYNC_COMPRESSION: 'off' }),
      { logger: silentLogger, store: createMemoryStore() },
    );
    try {
      expect(await extensionsOf(syncUrl(plain))).toBe('');
    } finally {
      await plain.close();
    }
  });

  it('refuses to link two nodes that share a node id, and says why in the peer list (issue 15 item 12)', async () => {
    const a = fixture.a(); // node id "node-a"
    const twin = await startServer(
      testConfig({
        RHIZOME_NODE_ID: 'node-a',
        RHIZOME_PEERS: syncUrl(a),
        RHIZOME_PEER_TOKEN: TOKENS.peer,
      }),
      { logger: silentLogger, store: createMemoryStore() },
    );
    try {
      const admin = createClient({ url: twin.url, token: TOKENS.admin });
      const row = await eventually(async () => {
        const { peers } = await admin.peers.list.query();
        const found = peers.find((peer) => peer.address === syncUrl(a));
        return found?.lastError?.includes('node id') === true ? found : undefined;
      }, 'the twin to report the node id conflict');
      expect(row.lastError).toContain('RHIZOME_NODE_ID');
      expect(row.connected).toBe(false);
    } finally {
      await twin.close();
    }
  });

  it('checks the peers API: scopes, validation, duplicates', async () => {
    const a = fixture.a();
    const reader = createClient({ url: a.url, token: TOKENS.reader });
    expect(await reader.peers.list.query()).toEqual({ peers: [] });
    const forbidden = await reader.peers.add
      .mutate({ address: 'ws://127.0.0.1:9/sync' })
      .catch((error: unknown) => error);
    expect(getRhizomeError(forbidden)?.code).toBe('FORBIDDEN');

    const post = (body: unknown, token: string = TOKENS.admin) =>
      fetch(`${a.url}/api/peers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await post({ address: 'ftp://example.org' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    const extra = await post({ address: 'ws://127.0.0.1:9/sync', surprise: true });
    expect(extra.status).toBe(400);
    expect((await fetch(`${a.url}/api/peers`)).status).toBe(401);
    expect(
      await (
        await fetch(`${a.url}/api/peers`, { headers: { authorization: `Bearer ${TOKENS.reader}` } })
      ).json(),
    ).toEqual({ peers: [] });

    // Nothing listens on port 9: the link is kept, redialled, and shows why it is down.
    const added = await post({ address: 'http://127.0.0.1:9' });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({
      peer: { address: 'ws://127.0.0.1:9/sync', direction: 'outbound', seed: true },
    });
    const again = await post({ address: 'ws://127.0.0.1:9/sync' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'PEER_EXISTS' } });
    const row = await eventually(async () => {
      const { peers } = await reader.peers.list.query();
      return peers.find(
        (peer) => peer.address === 'ws://127.0.0.1:9/sync' && peer.lastError !== null,
      );
    }, 'the dial error');
    expect(row).toMatchObject({ connected: false, state: 'connecting' });
    expect(row.lastError).toMatch(/ECONNREFUSED|connect/);
  });

  it('replicates both ways between two servers, into views and subscriptions, and resumes after a restart', async () => {
    const a = fixture.a();
    const dir = fixture.dir();
    const config = testConfig({
      RHIZOME_NODE_ID: 'node-b',
      RHIZOME_DATA_DIR: join(dir, 'b'),
      RHIZOME_PEERS: syncUrl(a),
      RHIZOME_PEER_TOKEN: TOKENS.peer,
    });
    const aliceOnA = createClient({ url: a.url, token: TOKENS.alice });
    await aliceOnA.entities.put.mutate({ id: 'ada', properties: { name: 'Ada' } });

    let b = await startServer(config, { logger: silentLogger });
    try {
      const aliceOnB = createClient({ url: b.url, token: TOKENS.alice });
      // Catch-up: written on A before B existed.
      await eventually(
        () =>
          aliceOnB.entities.get.query({ id: 'ada' }).then(
            (view) => (view.name === 'Ada' ? view : undefined),
            () => undefined,
          ),
        'catch-up of ada on B',
      );

      // Live: a subscriber on B hears a write made on A.
      const heard = new Promise<unknown>((resolve, reject) => {
        const subscription = aliceOnB.entities.watch.subscribe(
          { id: 'ada' },
          {
            onData(view) {
              if (view.name !== 'Ada Lovelace') return;
              subscription.unsubscribe();
              resolve(view);
            },
            onError: reject,
          },
        );
      });
      await eventually(
        async () =>
          (await aliceOnA.peers.list.query()).peers.some((peer) => peer.state === 'open')
            ? true
            : undefined,
        'the link on A',
      );
      await aliceOnA.entities.put.mutate({ id: 'ada', properties: { name: 'Ada Lovelace' } });
      expect(await heard).toMatchObject({ id: 'ada', name: 'Ada Lovelace' });

      // And the other way.
      await aliceOnB.entities.put.mutate({ id: 'grace', properties: { name: 'Grace' } });
      await eventually(
        () =>
          aliceOnA.entities.get.query({ id: 'grace' }).then(
            (view) => view,
            () => undefined,
          ),
        'grace on A',
      );

      const { peers } = await aliceOnB.peers.list.query();
      expect(peers).toEqual([
        expect.objectContaining({
          address: syncUrl(a),
          direction: 'outbound',
          seed: true,
          nodeId: 'node-a',
          state: 'open',
          lastError: null,
        }),
      ]);
      const inboundOnA = (await aliceOnA.peers.list.query()).peers.filter(
        (peer) => peer.direction === 'inbound',
      );
      expect(inboundOnA).toEqual([expect.objectContaining({ nodeId: 'node-b', state: 'open' })]);
    } finally {
      await b.close();
    }

    // B said goodbye: A drops the link.
    await eventually(
      async () =>
        (await aliceOnA.peers.list.query()).peers.some((peer) => peer.direction === 'inbound')
          ? undefined
          : true,
      'A to drop the link',
    );

    // While B is down, A takes two more writes. B restarts on the same data directory and pulls
    // only those: its cursor into A's feed was kept.
    await aliceOnA.entities.put.mutate({ id: 'ada', properties: { born: 1815 } });
    await aliceOnA.entities.put.mutate({ id: 'alan', properties: { name: 'Alan' } });
    b = await startServer(config, { logger: silentLogger });
    try {
      const aliceOnB = createClient({ url: b.url, token: TOKENS.alice });
      await eventually(
        () =>
          aliceOnB.entities.get.query({ id: 'alan' }).then(
            (view) => view,
            () => undefined,
          ),
        'alan on B after restart',
      );
      expect(await aliceOnB.entities.get.query({ id: 'ada' })).toMatchObject({
        name: 'Ada Lovelace',
        born: 1815,
      });
      const row = await eventually(async () => {
        const { peers } = await aliceOnB.peers.list.query();
        return peers.find((peer) => peer.state === 'open' && peer.deltasReceived >= 2);
      }, 'the resumed link');
      expect(row.deltasReceived).toBe(2);
      const [statusA, statusB] = await Promise.all([
        aliceOnA.node.status.query(),
        aliceOnB.node.status.query(),
      ]);
      expect(statusB.deltas).toBe(statusA.deltas);
    } finally {
      await b.close();
    }
  }, 60_000);
});
