import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, getRhizomeError } from '@rhizome/client';
import {
  createDeltaBuilder,
  derivePublicKey,
  signDelta,
  verifyDelta,
  type Delta,
} from '@rhizome/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealSigningKeys } from '../src/signing-keys.ts';
import { runServerProcess, startServerProcess, type ServerProcess } from './helpers.ts';

// Issue 18 item 4: a token bound to a creator with a server-held key (a sealed key file) has its
// writes signed by the node, so a curl user's write is accepted by a node requiring signatures,
// while a keyless token's unsigned write is refused; the typed client signs locally with a key it
// holds. A real server process throughout; a bad key file is one startup line with a stable code.

const secret = (n: number): string => (n + 1).toString(16).padStart(2, '0').repeat(32);
const ADMIN = secret(0);
const ALICE = secret(1);
const BOB = secret(2);
const PASSPHRASE = 'correct horse battery staple';
// Low scrypt cost keeps the test quick; the default is 2^17.
const COST = 2 ** 14;
const TOKENS = {
  alice: 'alice-token-0123456789',
  bob: 'bob-token-0123456789ab',
  admin: 'admin-token-0123456789',
};

let dir: string;
let keyFile: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-issue-18-keys-'));
  keyFile = join(dir, 'keys.json');
  await writeFile(
    keyFile,
    JSON.stringify(await sealSigningKeys({ alice: ALICE }, PASSPHRASE, { cost: COST })),
  );
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const env = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
  RHIZOME_DATA_DIR: join(dir, name),
  RHIZOME_REQUIRE_SIGNATURES: 'all',
  RHIZOME_ADMIN_KEYS: derivePublicKey(ADMIN),
  RHIZOME_TOKENS: `${TOKENS.alice}=alice:read+write,${TOKENS.bob}=bob:read+write,${TOKENS.admin}=admin:admin`,
  RHIZOME_SIGNING_KEYS_FILE: keyFile,
  RHIZOME_SIGNING_KEYS_PASSPHRASE: PASSPHRASE,
  ...extra,
});

let time = Date.now() - 60_000;
const listKey = (creator: string, key: string): Delta =>
  signDelta(
    createDeltaBuilder({ creator: 'admin', host: 'test', timeCreated: time++ })
      .set(`_creator:${creator}`, { keys: derivePublicKey(key) })
      .build(),
    ADMIN,
  );

const call = async (
  node: ServerProcess,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies, read in assertions
Promise<{ status: number; body: any }> => {
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
};

async function startNode(name: string): Promise<ServerProcess> {
  const node = await startServerProcess(name, env(name));
  children.push(node.child);
  const published = await call(node, 'POST', '/api/deltas', TOKENS.admin, {
    deltas: [listKey('alice', ALICE), listKey('bob', BOB)],
  });
  expect(published.status, JSON.stringify(published.body)).toBe(200);
  return node;
}

describe('issue 18: server-held keys for token users', { timeout: 120_000 }, () => {
  it('signs a curl user’s writes with the creator’s key; a keyless token’s unsigned write is refused', async () => {
    const node = await startNode('server-keys');
    const put = await call(node, 'PUT', '/api/entities/doc', TOKENS.alice, {
      properties: { title: 'from curl' },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const stored = (await call(node, 'GET', `/api/deltas/${put.body.id}`, TOKENS.alice)).body;
    expect(verifyDelta(stored)).toEqual({ publicKey: derivePublicKey(ALICE) });
    expect(stored.id).toBe(put.body.id);

    // A raw delta without creator or signature, over REST and tRPC.
    const raw = {
      pointers: [
        { localContext: 'doc', target: { id: 'doc' }, targetContext: 'body' },
        { localContext: 'body', target: 'text' },
      ],
    };
    const appended = await call(node, 'POST', '/api/deltas', TOKENS.alice, { deltas: [raw] });
    expect(appended.status, JSON.stringify(appended.body)).toBe(200);
    const trpc = await call(node, 'POST', '/trpc/entities.put', TOKENS.alice, {
      id: 'doc',
      properties: { title: 'from trpc' },
    });
    expect(trpc.status, JSON.stringify(trpc.body)).toBe(200);
    for (const id of [appended.body.results[0].id, trpc.body.result.data.id]) {
      const delta = (await call(node, 'GET', `/api/deltas/${id}`, TOKENS.alice)).body;
      expect(verifyDelta(delta).publicKey).toBe(derivePublicKey(ALICE));
    }

    // bob has a key listed but the server holds none for him: his unsigned write is refused.
    const refused = await call(node, 'PUT', '/api/entities/doc', TOKENS.bob, {
      properties: { title: 'unsigned' },
    });
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'SIGNATURE_MISSING' } } });
    const view = await call(node, 'GET', '/api/entities/doc?signed=true', TOKENS.bob);
    expect(view.body).toMatchObject({ title: 'from trpc', body: 'text' });
  });

  it('lets the typed client sign locally with a key it holds', async () => {
    const node = await startNode('client-keys');
    const unsigned = createClient({ url: node.url, token: TOKENS.bob });
    const refused = await unsigned.entities.put
      .mutate({ id: 'note', properties: { text: 'unsigned' } })
      .then(
        () => undefined,
        (error: unknown) => getRhizomeError(error)?.code,
      );
    expect(refused).toBe('SIGNATURE_MISSING');

    const bob = createClient({
      url: node.url,
      token: TOKENS.bob,
      signingKey: { creator: 'bob', secretKey: BOB },
    });
    const put = await bob.entities.put.mutate({ id: 'note', properties: { text: 'signed' } });
    expect(put.status).toBe('stored');
    const appended = await bob.deltas.append.mutate({
      deltas: [
        {
          pointers: [
            { localContext: 'note', target: { id: 'note' }, targetContext: 'tag' },
            { localContext: 'tag', target: 'x' },
          ],
        },
      ],
    });
    const negated = await bob.deltas.negate.mutate({ id: appended.results[0]!.id });
    for (const id of [put.id, appended.results[0]!.id, negated.id]) {
      const delta = await bob.deltas.get.query({ id });
      expect(delta.creator).toBe('bob');
      expect(verifyDelta(delta).publicKey).toBe(derivePublicKey(BOB));
    }
    expect(await bob.entities.get.query({ id: 'note', trust: { signed: true } })).toEqual({
      id: 'note',
      text: 'signed',
    });
  });

  it('refuses to start on a wrong passphrase or a malformed key file, in one line with a stable code', async () => {
    const malformed = join(dir, 'malformed.json');
    await writeFile(malformed, JSON.stringify({ format: 'rhizome-signing-keys', version: 1 }));
    const cases: [Record<string, string>, string][] = [
      [{ RHIZOME_SIGNING_KEYS_PASSPHRASE: 'wrong passphrase' }, 'SIGNING_KEYS_PASSPHRASE_WRONG'],
      [{ RHIZOME_SIGNING_KEYS_FILE: malformed }, 'SIGNING_KEYS_MALFORMED'],
      [{ RHIZOME_SIGNING_KEYS_FILE: join(dir, 'absent.json') }, 'SIGNING_KEYS_UNREADABLE'],
    ];
    for (const [extra, code] of cases) {
      const run = await runServerProcess(env('bad-start', extra));
      expect(run.code).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^rhizome-server: ${code}: `));
      expect(lines[0]).not.toContain(ALICE);
    }
  });
});
