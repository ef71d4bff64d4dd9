import { createClient, getRhizomeError } from '@rhizome/client';
import { createDeltaBuilder, signDelta } from '@rhizome/core';
import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { setDelta, silentLogger, testConfig, TOKENS } from './helpers.ts';

// Issue 15 item 1: the negation policy holds on every write path, not only on the negate route.
// Item 13: an admin writes deltas of other creators (a backup restored with its creators).

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(testConfig(), { logger: silentLogger, store: createMemoryStore() });
});
afterAll(() => server.close());

/** Test bodies are checked by assertions, not by types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

async function rest(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

const negationOf = (id: string) => ({
  pointers: [{ localContext: 'negates', target: { id } }],
});

async function putAs(token: string, id: string, properties: Record<string, string>) {
  const put = await rest('PUT', `/api/entities/${id}`, token, { properties });
  expect(put.status).toBe(200);
  return put.body.id as string;
}

const firstId = (body: Body) => (body.results as { id: string }[])[0]!.id;

async function deltaCount(): Promise<number> {
  return (await server.node.status()).deltas;
}

describe('negating another creator needs admin on every write path', () => {
  it('refuses a raw negation over REST, alone or in a batch, and stores nothing of the batch', async () => {
    const victim = await putAs(TOKENS.alice, 'victim-rest', { name: 'Alice' });
    const before = await deltaCount();
    const single = await rest('POST', '/api/deltas', TOKENS.bob, negationOf(victim));
    expect(single.status).toBe(403);
    expect(single.body.error).toMatchObject({
      code: 'FORBIDDEN',
      details: { required: 'admin', delta: victim, creator: 'alice' },
    });
    const batch = await rest('POST', '/api/deltas', TOKENS.bob, {
      deltas: [
        {
          pointers: [
            { localContext: 'entity', target: { id: 'bob-own' }, targetContext: 'name' },
            { localContext: 'name', target: 'Bob' },
          ],
        },
        negationOf(victim),
      ],
    });
    expect(batch.status).toBe(403);
    expect(await deltaCount()).toBe(before);
    expect((await rest('GET', '/api/entities/victim-rest', TOKENS.reader)).body).toEqual({
      id: 'victim-rest',
      name: 'Alice',
    });
  });

  it('refuses it over tRPC, and inside a transaction', async () => {
    const victim = await putAs(TOKENS.alice, 'victim-trpc', { name: 'Alice' });
    const bob = createClient({ url: server.url, token: TOKENS.bob });
    const single = await bob.deltas.append.mutate({ deltas: [negationOf(victim)] }).catch((e) => e);
    expect(getRhizomeError(single)?.code).toBe('FORBIDDEN');
    const transaction = 'tx-bob-1';
    const inTransaction = await bob.deltas.append
      .mutate({
        deltas: [
          {
            pointers: [
              {
                localContext: '_transaction',
                target: { id: transaction },
                targetContext: 'size',
              },
              { localContext: 'size', target: 1 },
            ],
          },
          {
            pointers: [
              { localContext: 'negates', target: { id: victim } },
              {
                localContext: '_transaction',
                target: { id: transaction },
                targetContext: 'deltas',
              },
            ],
          },
        ],
      })
      .catch((e) => e);
    expect(getRhizomeError(inTransaction)?.code).toBe('FORBIDDEN');
    const reader = createClient({ url: server.url, token: TOKENS.reader });
    expect(await reader.entities.get.query({ id: 'victim-trpc' })).toEqual({
      id: 'victim-trpc',
      name: 'Alice',
    });
  });

  it('refuses negating a delta the node does not hold (it could arrive later from anyone)', async () => {
    const unknown = 'b'.repeat(64);
    const response = await rest('POST', '/api/deltas', TOKENS.bob, negationOf(unknown));
    expect(response.status).toBe(403);
    expect(response.body.error.details).toMatchObject({ delta: unknown, creator: null });
  });

  it('lets a writer negate their own deltas, in the same write too, and an admin negate anyone', async () => {
    const own = await putAs(TOKENS.bob, 'bob-self', { name: 'Bob' });
    expect((await rest('POST', '/api/deltas', TOKENS.bob, negationOf(own))).status).toBe(200);
    expect((await rest('GET', '/api/entities/bob-self', TOKENS.reader)).status).toBe(404);

    const victim = await putAs(TOKENS.alice, 'victim-admin', { name: 'Alice' });
    const byAdmin = await rest('POST', '/api/deltas', TOKENS.admin, negationOf(victim));
    expect(byAdmin.status).toBe(200);
    expect((await rest('GET', '/api/entities/victim-admin', TOKENS.reader)).status).toBe(404);

    // Restoring (negating the admin's negation) is the admin's call, not alice's nor bob's.
    const negation = firstId(byAdmin.body);
    for (const token of [TOKENS.alice, TOKENS.bob]) {
      const restore = await rest('POST', '/api/deltas', token, negationOf(negation));
      expect(restore.status).toBe(403);
      expect(restore.body.error.details).toMatchObject({ creator: 'root' });
    }
    expect((await rest('POST', '/api/deltas', TOKENS.admin, negationOf(negation))).status).toBe(
      200,
    );
    expect((await rest('GET', '/api/entities/victim-admin', TOKENS.reader)).body).toEqual({
      id: 'victim-admin',
      name: 'Alice',
    });
  });

  it('keeps the negate route and the schema rule on the same check', async () => {
    const victim = await putAs(TOKENS.alice, 'victim-route', { name: 'Alice' });
    const route = await rest('POST', `/api/deltas/${victim}/negate`, TOKENS.bob);
    expect(route.status).toBe(403);
    expect(route.body.error.code).toBe('FORBIDDEN');
    const schema = await rest('POST', '/api/deltas', TOKENS.bob, {
      pointers: [
        { localContext: 'entity', target: { id: '_schema:person' }, targetContext: 'definition' },
        { localContext: 'definition', target: '{}' },
      ],
    });
    expect(schema.status).toBe(403);
  });
});

describe('an admin writes as other creators (restoring a backup)', () => {
  const asAlice = {
    creator: 'alice',
    timeCreated: 1_700_000_000_000,
    host: 'old-node',
    pointers: [
      { localContext: 'entity', target: { id: 'restored' }, targetContext: 'name' },
      { localContext: 'name', target: 'From backup' },
    ],
  };

  it('stores a delta with its original creator for an admin, and refuses it for a writer', async () => {
    const byBob = await rest('POST', '/api/deltas', TOKENS.bob, asAlice);
    expect(byBob.status).toBe(403);
    expect(byBob.body.error.code).toBe('CREATOR_MISMATCH');
    const byAdmin = await rest('POST', '/api/deltas', TOKENS.admin, asAlice);
    expect(byAdmin.status).toBe(200);
    const stored = await rest('GET', `/api/deltas/${firstId(byAdmin.body)}`, TOKENS.reader);
    expect(stored.body).toMatchObject({ creator: 'alice', host: 'old-node' });
  });
});

describe('a delta with a signature (issue 15 item 10, checked since issue 18)', () => {
  it('is verified, then kept by REST and tRPC as sync keeps it, with or without an id', async () => {
    const sign = (value: string, key: string) =>
      signDelta(
        createDeltaBuilder({ creator: 'alice', host: 'client', timeCreated: Date.now() })
          .set('signed', { name: value })
          .build(),
        key,
      );
    const first = sign('Sig', '11'.repeat(32));
    const { id: _id, ...withoutId } = first;
    const byRest = await rest('POST', '/api/deltas', TOKENS.alice, withoutId);
    expect(byRest.status).toBe(200);
    expect(firstId(byRest.body)).toBe(first.id);
    const stored = await rest('GET', `/api/deltas/${first.id}`, TOKENS.reader);
    expect(stored.body.signature).toBe(first.signature);

    const alice = createClient({ url: server.url, token: TOKENS.alice });
    // The same content signed by another key: the signature is not part of the id, so it is a duplicate.
    const resigned = signDelta(first, '22'.repeat(32));
    const second = sign('Sig 2', '11'.repeat(32));
    const byTrpc = await alice.deltas.append.mutate({ deltas: [second, resigned] });
    expect(byTrpc.results.map((result) => result.status)).toEqual(['stored', 'duplicate']);
    const kept = await rest('GET', `/api/deltas/${second.id}`, TOKENS.reader);
    expect(kept.body.signature).toBe(second.signature);

    const forged = await rest('POST', '/api/deltas', TOKENS.alice, {
      ...setDelta('signed', 'name', 'Forged'),
      signature: 'ed25519:not-a-signature',
    });
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('SIGNATURE_INVALID');
    const bad = await rest('POST', '/api/deltas', TOKENS.alice, {
      ...setDelta('signed', 'name', 'Bad'),
      signature: 42,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('DELTA_INVALID');
  });
});
