import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { createMemoryStore } from '@rhizome/storage';
import { encodeBatch } from '@rhizome/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { eventually, setDelta, silentLogger, syncUrl, testConfig, TOKENS } from './helpers.ts';
import { connectRawPeer } from './sync-raw-peer.ts';

// Issue 15 item 3: an operator restricts what a peer may replicate (by the creator of its `peer`
// token): deltas outside are refused with SYNC_DELTA_REFUSED on the link, not stored, and the
// rest of the batch is; the link stays open.

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(
    testConfig({
      RHIZOME_NODE_ID: 'policy-node',
      RHIZOME_SYNC_PEER_POLICY: JSON.stringify({
        'peer-1': {
          creators: ['alice', 'bob'],
          schemas: false,
          negateOthers: false,
          entityPrefixes: ['doc-', '_schema:'],
        },
      }),
    }),
    { logger: silentLogger, store: createMemoryStore() },
  );
});
afterAll(() => server.close());

let time = 1_700_000_000_000;
const build = (
  creator: string,
  make: (builder: ReturnType<typeof createDeltaBuilder>) => void,
): Delta => {
  const builder = createDeltaBuilder({ creator, host: 'far-away', timeCreated: ++time });
  make(builder);
  return builder.build();
};
const negation = (creator: string, target: Delta): Delta =>
  build(creator, (b) => b.negate(target.id));

const get = (id: string) =>
  fetch(`${server.url}/api/deltas/${id}`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });

describe('a peer restricted by RHIZOME_SYNC_PEER_POLICY', () => {
  it('stores what the policy allows and refuses the rest on the link, which stays open', async () => {
    const alice = build('alice', (b) => b.set('doc-1', { title: 'kept' }));
    const bob = build('bob', (b) => b.set('doc-2', { title: 'kept too' }));
    const mallory = build('mallory', (b) => b.set('doc-3', { title: 'forged' }));
    const schema = build('alice', (b) => b.set('_schema:Doc', { definition: '{}' }));
    const outside = build('alice', (b) => b.set('user-9', { role: 'admin' }));
    const bobUndoesAlice = negation('bob', alice);
    const aliceUndoesOwn = negation('alice', alice);
    const refused = [mallory, schema, outside, bobUndoesAlice];
    const allowed = [alice, bob, aliceUndoesOwn];
    const batch = [alice, bob, mallory, schema, outside, bobUndoesAlice, aliceUndoesOwn];

    const peer = await connectRawPeer(syncUrl(server), TOKENS.peer, {
      nodeId: 'far-node',
      head: batch.length,
    });
    await peer.opened();
    await eventually(
      () => peer.frames.find((frame) => frame.t === 'subscribe'),
      'the node to subscribe',
    );
    peer.send({ t: 'batch', seq: batch.length, head: batch.length, d: encodeBatch(batch) });

    const error = await eventually(
      () => peer.frames.find((frame) => frame.t === 'error'),
      'the refusal on the link',
    );
    expect(error).toMatchObject({
      code: 'SYNC_DELTA_REFUSED',
      fatal: false,
      details: { count: refused.length },
    });
    const details = error.details as { refused: { id: string; reason: string }[] };
    expect(details.refused.map((entry) => entry.id).sort()).toEqual(
      refused.map((d) => d.id).sort(),
    );
    expect(details.refused.find((entry) => entry.id === mallory.id)?.reason).toMatch(
      /creator "mallory"/,
    );
    expect(details.refused.find((entry) => entry.id === schema.id)?.reason).toMatch(/schema/);
    expect(details.refused.find((entry) => entry.id === outside.id)?.reason).toMatch(/prefixes/);
    expect(details.refused.find((entry) => entry.id === bobUndoesAlice.id)?.reason).toMatch(
      /another creator/,
    );

    await eventually(
      async () => ((await get(alice.id)).status === 200 ? true : undefined),
      'the allowed deltas',
    );
    for (const delta of allowed) expect((await get(delta.id)).status).toBe(200);
    for (const delta of refused) expect((await get(delta.id)).status).toBe(404);

    // The link stays open, and the operator sees the refusal on the peer's row.
    const rows = (await (
      await fetch(`${server.url}/api/peers`, {
        headers: { authorization: `Bearer ${TOKENS.admin}` },
      })
    ).json()) as { peers: { nodeId: string; state: string; lastError: string | null }[] };
    const row = rows.peers.find((entry) => entry.nodeId === 'far-node');
    expect(row).toMatchObject({ state: 'open' });
    expect(row?.lastError).toMatch(/4 delta\(s\) refused/);
    peer.send({ t: 'ping', nonce: 7 });
    await eventually(
      () => peer.frames.find((frame) => frame.t === 'pong'),
      'a pong on the same link',
    );
    peer.socket.terminate();
  });

  it('applies the "*" policy to a peer this node dials, and the peer sees the refusal too', async () => {
    const source = await startServer(testConfig({ RHIZOME_NODE_ID: 'source-node' }), {
      logger: silentLogger,
      store: createMemoryStore(),
    });
    const write = (token: string, entity: string) =>
      fetch(`${source.url}/api/deltas`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(setDelta(entity, 'title', entity)),
      }).then(
        async (response) =>
          ((await response.json()) as { results: { id: string }[] }).results[0]!.id,
      );
    const fromAlice = await write(TOKENS.alice, 'doc-a');
    const fromBob = await write(TOKENS.bob, 'doc-b');
    const puller = await startServer(
      testConfig({
        RHIZOME_NODE_ID: 'puller-node',
        RHIZOME_PEERS: syncUrl(source),
        RHIZOME_PEER_TOKEN: TOKENS.peer,
        RHIZOME_SYNC_PEER_POLICY: JSON.stringify({ '*': { creators: ['alice'] } }),
      }),
      { logger: silentLogger, store: createMemoryStore() },
    );
    try {
      const read = (id: string) =>
        fetch(`${puller.url}/api/deltas/${id}`, {
          headers: { authorization: `Bearer ${TOKENS.admin}` },
        });
      await eventually(
        async () => ((await read(fromAlice)).status === 200 ? true : undefined),
        "alice's delta",
      );
      const sourceRow = await eventually(async () => {
        const body = (await (
          await fetch(`${source.url}/api/peers`, {
            headers: { authorization: `Bearer ${TOKENS.admin}` },
          })
        ).json()) as { peers: { nodeId: string; lastError: string | null }[] };
        const row = body.peers.find((entry) => entry.nodeId === 'puller-node');
        return row?.lastError?.includes('refused') === true ? row : undefined;
      }, 'the refusal on the source side');
      expect(sourceRow.lastError).toMatch(/creator "bob"/);
      expect((await read(fromBob)).status).toBe(404);
    } finally {
      await puller.close();
      await source.close();
    }
  });

  it('refuses a malformed policy at start, naming the setting', () => {
    for (const value of ['not json', '{"peer-1":{"creators":"alice"}}', '{"*":{"unknown":true}}']) {
      let problems: Record<string, string> | undefined;
      try {
        loadConfig({ RHIZOME_SYNC_PEER_POLICY: value });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems = Object.fromEntries(error.problems.map((p) => [p.variable, p.message]));
      }
      expect(problems?.RHIZOME_SYNC_PEER_POLICY, value).toBeDefined();
    }
  });
});
