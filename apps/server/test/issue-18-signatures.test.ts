import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeltaBuilder, derivePublicKey, signDelta, type Delta } from '@rhizome/core';
import { createMemoryStore, type DeltaStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import {
  eventually,
  silentLogger,
  startServerProcess,
  syncUrl,
  testConfig,
  type ServerProcess,
} from './helpers.ts';

// Issue 18: signatures are checked at every boundary of a real node (`src/main.ts` in its own
// process): REST, tRPC and /sync refuse a tampered signed delta; with RHIZOME_REQUIRE_SIGNATURES
// a peer cannot inject a delta under a creator whose key it does not hold; rotating and revoking
// a key (deltas on `_creator:alice`) changes what the node accepts.

const secret = (n: number): string => (n + 1).toString(16).padStart(2, '0').repeat(32);
const ADMIN = secret(0);
const ALICE_1 = secret(1);
const ALICE_2 = secret(2);

let time = Date.now() - 60_000;
const build = (creator: string) =>
  createDeltaBuilder({ creator, host: 'test', timeCreated: time++ });
const listKey = (key: string, by: string, as: string): Delta =>
  signDelta(
    build(as)
      .set('_creator:alice', { keys: derivePublicKey(key) })
      .build(),
    by,
  );
const note = (creator: string, by?: string): Delta => {
  const delta = build(creator)
    .set('doc', { text: `t${time}` })
    .build();
  return by === undefined ? delta : signDelta(delta, by);
};
const tamper = (delta: Delta): Delta => ({
  ...delta,
  signature: delta.signature!.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
});

let dir: string;
const children: ChildProcess[] = [];
const peers: RunningServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-issue-18-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const peer of peers) await peer.close();
  await rm(dir, { recursive: true, force: true });
});

/** A node process that requires signatures of creators with keys and trusts ADMIN. */
async function startStrictNode(name: string, peer?: RunningServer): Promise<ServerProcess> {
  const node = await startServerProcess(name, {
    RHIZOME_DATA_DIR: join(dir, name),
    RHIZOME_REQUIRE_SIGNATURES: 'creators-with-keys',
    RHIZOME_ADMIN_KEYS: derivePublicKey(ADMIN),
    ...(peer === undefined ? {} : { RHIZOME_PEERS: syncUrl(peer) }),
  });
  children.push(node.child);
  return node;
}

/** An in-process peer whose store the test fills directly, as a hostile node could. */
async function startRawPeer(): Promise<{ server: RunningServer; store: DeltaStore }> {
  const store = createMemoryStore();
  const server = await startServer(testConfig({ RHIZOME_TOKENS: '', RHIZOME_NODE_ID: 'raw' }), {
    logger: silentLogger,
    store,
  });
  peers.push(server);
  return { server, store };
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const rest = async (node: ServerProcess, deltas: Delta[]) => {
  const response = await post(`${node.url}/api/deltas`, { deltas });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: body.error?.code };
};
const has = async (node: ServerProcess, id: string) =>
  (await fetch(`${node.url}/api/deltas/${id}`)).status === 200;
const peerError = async (node: ServerProcess): Promise<string | undefined> => {
  const body = (await (await fetch(`${node.url}/api/peers`)).json()) as {
    peers: { lastError: string | null }[];
  };
  return body.peers.find((row) => row.lastError !== null)?.lastError ?? undefined;
};

describe('issue 18: signatures at every boundary', () => {
  it('refuses a tampered signed delta over REST, tRPC and /sync, storing nothing of its batch', async () => {
    const { server: raw, store } = await startRawPeer();
    const node = await startStrictNode('tamper', raw);
    const good = note('alice', ALICE_1);
    const bad = tamper(note('alice', ALICE_1));

    expect(await rest(node, [good, bad])).toEqual({ status: 400, code: 'SIGNATURE_INVALID' });
    const trpc = await post(`${node.url}/trpc/deltas.append`, { deltas: [good, bad] });
    const trpcBody: unknown = await trpc.json();
    expect(trpc.status, JSON.stringify(trpcBody)).toBe(400);
    expect(trpcBody).toMatchObject({
      error: { data: { rhizome: { code: 'SIGNATURE_INVALID' } } },
    });
    expect(await has(node, good.id)).toBe(false);

    // Over /sync: the link works for a good delta, then the peer's tampered one is refused.
    await store.append([good]);
    await eventually(async () => ((await has(node, good.id)) ? true : undefined), 'the good delta');
    await store.append([bad]);
    const error = await eventually(peerError.bind(null, node), 'a refused batch');
    expect(error).toMatch(/does not match its content/);
    expect(await has(node, bad.id)).toBe(false);
  });

  it('refuses a forged creator over /sync when signatures are required', async () => {
    const { server: raw, store } = await startRawPeer();
    const node = await startStrictNode('forged', raw);
    const root = listKey(ALICE_1, ADMIN, 'admin');
    const signed = note('alice', ALICE_1);
    await store.append([root, signed, note('bob')]);
    await eventually(
      async () => ((await has(node, signed.id)) ? true : undefined),
      'the signed delta',
    );

    // The peer holds no key of alice: an unsigned delta, or one it signed with its own key.
    const unsigned = note('alice');
    await store.append([unsigned]);
    expect(await eventually(peerError.bind(null, node), 'a refused batch')).toMatch(
      /is not signed, and creator "alice" has keys/,
    );
    expect(await has(node, unsigned.id)).toBe(false);
    // Nor can a writer: the same rules hold over REST.
    expect(await rest(node, [note('alice', secret(7))])).toEqual({
      status: 403,
      code: 'KEY_UNKNOWN',
    });
  });

  it('key rotation and revocation change what the node accepts', async () => {
    const node = await startStrictNode('rotate');
    expect((await rest(node, [note('alice')])).status).toBe(200); // no keys yet
    const root = listKey(ALICE_1, ADMIN, 'admin');
    expect((await rest(node, [root])).status).toBe(200);
    expect(await rest(node, [note('alice')])).toEqual({ status: 400, code: 'SIGNATURE_MISSING' });
    expect((await rest(node, [note('alice', ALICE_1)])).status).toBe(200);
    expect(await rest(node, [note('alice', ALICE_2)])).toEqual({
      status: 403,
      code: 'KEY_UNKNOWN',
    });
    // Rotate: the old key lists the new one; the new one retires the old.
    expect((await rest(node, [listKey(ALICE_2, ALICE_1, 'alice')])).status).toBe(200);
    expect((await rest(node, [note('alice', ALICE_2)])).status).toBe(200);
    const retire = signDelta(build('alice').negate(root.id).build(), ALICE_2);
    expect((await rest(node, [retire])).status).toBe(200);
    expect(await rest(node, [note('alice', ALICE_1)])).toEqual({
      status: 403,
      code: 'KEY_UNKNOWN',
    });
    expect((await rest(node, [note('alice', ALICE_2)])).status).toBe(200);
    // An admin revokes the new key's listing: that undoes what the new key did, its retirement
    // of the old key included, so the old key is alice's again.
    const hyperview = (await (
      await fetch(`${node.url}/api/entities/_creator:alice/hyperview`)
    ).json()) as { properties: { keys: Delta[] } };
    const second = hyperview.properties.keys.find((d) => d.creator === 'alice')!;
    const revoke = signDelta(build('admin').negate(second.id).build(), ADMIN);
    expect((await rest(node, [revoke])).status).toBe(200);
    expect(await rest(node, [note('alice', ALICE_2)])).toEqual({
      status: 403,
      code: 'KEY_UNKNOWN',
    });
    expect((await rest(node, [note('alice', ALICE_1)])).status).toBe(200);
  });
});
