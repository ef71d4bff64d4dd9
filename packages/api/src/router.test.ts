import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { createMemoryStore } from '@rhizome/storage';
import { TRPCError } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRhizomeNode, type RhizomeNode } from '@rhizome/node';
import { createOpenPrincipal, type Principal, type Scope } from '@rhizome/node';
import { createCaller } from './root.ts';
import { getHttpStatus, toErrorResponse } from './error-mapping.ts';
import { ApiErrorCode, createApiError } from '@rhizome/node';
import type { PeerRow, PeerService } from './peers.ts';
import { createContext } from './trpc.ts';

const as = (creator: string, ...scopes: Scope[]): Principal => ({
  creator,
  scopes: new Set(scopes),
  open: false,
});
const alice = as('alice', 'read', 'write');
const bob = as('bob', 'read', 'write');
const admin = as('root', 'admin');
const reader = as('carol', 'read');

let node: RhizomeNode;
const caller = (principal: Principal | null, signal?: AbortSignal) =>
  createCaller(createContext({ node, principal }), signal === undefined ? {} : { signal });

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; rhizome: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    return { code: error.code, rhizome: (error.cause as { code?: string } | undefined)?.code };
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'node-1' });
});
afterEach(async () => {
  await node.close();
});

describe('deltas', () => {
  it('fills in id, timeCreated, host and creator, and reports duplicates', async () => {
    const pointers = [
      { localContext: 'entity', target: { id: 'ada' }, targetContext: 'name' },
      { localContext: 'name', target: 'Ada' },
    ];
    const first = await caller(alice).deltas.append({ deltas: [{ pointers }] });
    expect(first.results).toEqual([{ id: expect.any(String), status: 'stored' }]);
    const stored = await caller(reader).deltas.get({ id: first.results[0]!.id });
    expect(stored).toMatchObject({ creator: 'alice', host: 'node-1', pointers });

    const again = await caller(alice).deltas.append({ deltas: [stored, stored] });
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
  });

  it('stores nothing when one delta of a batch is invalid', async () => {
    const good = {
      pointers: [
        { localContext: 'entity', target: { id: 'x' }, targetContext: 'a' },
        { localContext: 'a', target: 1 },
      ],
    };
    const error = await rejection(
      caller(alice).deltas.append({ deltas: [good, { pointers: 'nope' }] }),
    );
    expect(error).toEqual({ code: 'BAD_REQUEST', rhizome: 'DELTA_INVALID' });
    expect((await node.status()).deltas).toBe(0);
  });

  it('refuses impersonation and lets a token write only as its creator', async () => {
    const delta = createDeltaBuilder({ creator: 'bob', host: 'h' }).set('x', { a: 1 }).build();
    expect(await rejection(caller(alice).deltas.append({ deltas: [delta] }))).toEqual({
      code: 'FORBIDDEN',
      rhizome: 'CREATOR_MISMATCH',
    });
    await expect(caller(bob).deltas.append({ deltas: [delta] })).resolves.toMatchObject({
      results: [{ status: 'stored' }],
    });
  });

  it('checks scopes: no principal → UNAUTHORIZED, read-only cannot write', async () => {
    expect(await rejection(caller(null).deltas.list())).toEqual({
      code: 'UNAUTHORIZED',
      rhizome: 'UNAUTHENTICATED',
    });
    expect(await rejection(caller(reader).entities.put({ id: 'x', properties: { a: 1 } }))).toEqual(
      {
        code: 'FORBIDDEN',
        rhizome: 'FORBIDDEN',
      },
    );
    expect(
      await rejection(caller(alice).schemas.put({ name: 's', schema: { properties: {} } })),
    ).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('negates own deltas, and another creator’s only with admin', async () => {
    const { id } = await caller(alice).entities.put({ id: 'ada', properties: { name: 'Ada' } });
    expect(await rejection(caller(bob).deltas.negate({ id }))).toEqual({
      code: 'FORBIDDEN',
      rhizome: 'FORBIDDEN',
    });
    expect(await rejection(caller(bob).deltas.negate({ id: 'missing' }))).toEqual({
      code: 'NOT_FOUND',
      rhizome: 'DELTA_NOT_FOUND',
    });
    await caller(admin).deltas.negate({ id });
    expect(await rejection(caller(alice).entities.get({ id: 'ada' }))).toEqual({
      code: 'NOT_FOUND',
      rhizome: 'ENTITY_NOT_FOUND',
    });
  });

  it('pages the local feed with a string cursor', async () => {
    for (const n of [1, 2, 3]) await caller(alice).entities.put({ id: `e${n}`, properties: { n } });
    const first = await caller(reader).deltas.list({ limit: 2 });
    expect(first.deltas).toHaveLength(2);
    expect(first.hasMore).toBe(true);
    const rest = await caller(reader).deltas.list({ after: first.cursor, limit: 2 });
    expect(rest.deltas).toHaveLength(1);
    expect(await rejection(caller(reader).deltas.list({ after: 'x' }))).toMatchObject({
      rhizome: 'INVALID_REQUEST',
    });
  });
});

describe('entities and schemas', () => {
  const person = {
    properties: {
      name: { kind: 'string', resolver: 'lww' },
      age: { kind: 'number', resolver: 'max' },
    },
  };

  it('resolves views with and without a schema, with asOf and hyperviews', async () => {
    await caller(admin).schemas.put({ name: 'person', schema: person });
    const first = await caller(alice).entities.put({
      id: 'ada',
      properties: { name: 'Ada', age: 36 },
    });
    const firstTime = (await caller(reader).deltas.get({ id: first.id })).timeCreated;
    await caller(alice).entities.put({ id: 'ada', properties: { age: 30, nick: 'A' } });

    expect(await caller(reader).entities.get({ id: 'ada', schema: 'person' })).toEqual({
      id: 'ada',
      name: 'Ada',
      age: 36,
    });
    expect(await caller(reader).entities.get({ id: 'ada' })).toEqual({
      id: 'ada',
      name: 'Ada',
      age: 30,
      nick: 'A',
    });
    expect(await caller(reader).entities.get({ id: 'ada', asOf: firstTime })).toEqual({
      id: 'ada',
      name: 'Ada',
      age: 36,
    });
    const hyperview = await caller(reader).entities.hyperview({ id: 'ada' });
    expect(Object.keys(hyperview.properties).sort()).toEqual(['age', 'name', 'nick']);
    expect(hyperview.properties.age).toHaveLength(2);
    expect(await rejection(caller(reader).entities.get({ id: 'ada', schema: 'nope' }))).toEqual({
      code: 'NOT_FOUND',
      rhizome: 'SCHEMA_NOT_FOUND',
    });
  });

  it('stores schemas as deltas, lists them and rejects invalid ones', async () => {
    await caller(admin).schemas.put({ name: 'person', schema: person });
    expect(await caller(reader).schemas.get({ name: 'person' })).toMatchObject({
      name: 'person',
      properties: person.properties,
    });
    expect((await caller(reader).schemas.list()).map((s) => s.name)).toEqual(['person']);
    expect(
      await rejection(
        caller(admin).schemas.put({ name: 'bad', schema: { properties: { x: { kind: 'nope' } } } }),
      ),
    ).toEqual({
      code: 'BAD_REQUEST',
      rhizome: 'SCHEMA_INVALID',
    });
    // Schema entities are reserved: writing them directly needs admin.
    expect(
      await rejection(
        caller(alice).entities.put({ id: '_schema:person', properties: { definition: '{}' } }),
      ),
    ).toMatchObject({
      rhizome: 'FORBIDDEN',
    });
  });

  it('queries with where, limit and cursor', async () => {
    await caller(admin).schemas.put({ name: 'person', schema: person });
    for (const [id, age] of [
      ['a', 20],
      ['b', 40],
      ['c', 50],
      ['d', 60],
    ] as const) {
      await caller(alice).entities.put({ id, properties: { name: id, age } });
    }
    const page = await caller(reader).entities.query({
      schema: 'person',
      where: { age: { gte: 30 } },
      limit: 2,
    });
    expect(page.entities.map((e) => e.id)).toEqual(['b', 'c']);
    const next = await caller(reader).entities.query({
      schema: 'person',
      where: { age: { gte: 30 } },
      limit: 2,
      cursor: page.cursor!,
    });
    expect(next).toEqual({ entities: [{ id: 'd', name: 'd', age: 60 }], cursor: null });
  });
});

describe('subscriptions', () => {
  it('yields the current view, then only real changes', async () => {
    const controller = new AbortController();
    const stream = await caller(reader, controller.signal).entities.watch({ id: 'ada' });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ id: 'ada' });
    await caller(alice).entities.put({ id: 'ada', properties: { name: 'Ada' } });
    expect((await iterator.next()).value).toEqual({ id: 'ada', name: 'Ada' });
    controller.abort();
    expect((await iterator.next()).done).toBe(true);
  });

  it('streams raw deltas as they are stored', async () => {
    const controller = new AbortController();
    const stream = await caller(reader, controller.signal).deltas.stream();
    const iterator = stream[Symbol.asyncIterator]();
    const pending = iterator.next();
    const { id } = await caller(alice).entities.put({ id: 'x', properties: { a: 1 } });
    // Over HTTP the client gets `{ id, data }`; a caller gets tRPC's tracked envelope itself.
    const [eventId, delta] = (await pending).value as unknown as [string, Delta];
    expect(delta.id).toBe(id);
    expect(eventId).toMatch(/^\d+$/);
    controller.abort();
  });

  it('ends subscriptions when the node closes, and then refuses writes', async () => {
    const open = createOpenPrincipal();
    const stream = await caller(open).deltas.stream();
    const iterator = stream[Symbol.asyncIterator]();
    const pending = iterator.next();
    await node.close();
    expect((await pending).done).toBe(true);
    expect(await rejection(caller(open).entities.put({ id: 'x', properties: { a: 1 } }))).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      rhizome: 'NODE_UNAVAILABLE',
    });
  });
});

describe('open mode', () => {
  it('writes as the delta’s creator or as "local"', async () => {
    const open = createOpenPrincipal();
    const delta = createDeltaBuilder({ creator: 'mallory', host: 'h' }).set('x', { a: 1 }).build();
    await caller(open).deltas.append({ deltas: [delta] });
    const { id } = await caller(open).entities.put({ id: 'y', properties: { b: 2 } });
    expect((await caller(open).deltas.get({ id })).creator).toBe('local');
  });
});

describe('error shape', () => {
  it('puts the stable code and the same details as REST (with the path) on tRPC errors', async () => {
    const error = await caller(alice)
      .deltas.append({ deltas: [{ pointers: [{ localContext: 'x', target: { nope: 1 } }] }] })
      .catch((e: unknown) => e);
    const cause: unknown = (error as TRPCError).cause;
    expect(getHttpStatus((cause as { code: string }).code)).toBe(400);
    expect(toErrorResponse(cause).body.error).toMatchObject({
      code: 'POINTER_INVALID',
      details: { path: [0, 'pointers', 0, 'target'] },
    });
    expect(toErrorResponse(new Error('secret')).body.error).toEqual({
      code: 'INTERNAL',
      message: 'internal error',
      details: null,
    });
  });
});

describe('peers', () => {
  // The real service lives in apps/server (and is tested there over sockets); this one only
  // records calls, to check scopes, input normalisation and error codes of the procedures.
  const createPeers = (configured: string[]): PeerService & { readonly addresses: string[] } => {
    const addresses: string[] = [];
    const rowOf = (address: string): PeerRow => ({
      address,
      nodeId: null,
      state: 'connecting',
      direction: 'outbound',
      seed: true,
      origin: 'api',
      connected: false,
      lag: 0,
      pull: null,
      deltasReceived: 0,
      deltasSent: 0,
      failures: 0,
      lastError: null,
    });
    return {
      addresses,
      list: () => addresses.map(rowOf),
      async add(address) {
        addresses.push(address);
        return rowOf(address);
      },
      async remove(address) {
        if (configured.includes(address))
          throw createApiError(ApiErrorCode.PeerConfigured, 'configured');
        if (!addresses.includes(address))
          throw createApiError(ApiErrorCode.PeerNotFound, 'not a peer');
        addresses.splice(addresses.indexOf(address), 1);
      },
    };
  };
  const peersCaller = (principal: Principal, peers: PeerService | undefined) =>
    createCaller(createContext({ node, principal, ...(peers === undefined ? {} : { peers }) }));

  it('adds and removes with admin, normalising the address, and maps the peer error codes', async () => {
    const peers = createPeers(['ws://seed:1/sync']);
    const added = await peersCaller(admin, peers).peers.add({ address: 'http://b:2' });
    expect(added.peer.address).toBe('ws://b:2/sync');
    expect(
      await rejection(peersCaller(reader, peers).peers.remove({ address: 'ws://b:2/sync' })),
    ).toEqual({
      code: 'FORBIDDEN',
      rhizome: 'FORBIDDEN',
    });
    expect(await peersCaller(admin, peers).peers.remove({ address: 'http://b:2' })).toEqual({
      address: 'ws://b:2/sync',
    });
    expect(peers.addresses).toEqual([]);
    expect(
      await rejection(peersCaller(admin, peers).peers.remove({ address: 'ws://b:2/sync' })),
    ).toEqual({
      code: 'NOT_FOUND',
      rhizome: 'PEER_NOT_FOUND',
    });
    expect(
      await rejection(peersCaller(admin, peers).peers.remove({ address: 'ws://seed:1/sync' })),
    ).toEqual({
      code: 'CONFLICT',
      rhizome: 'PEER_CONFIGURED',
    });
    expect(
      await rejection(peersCaller(admin, peers).peers.remove({ address: 'ftp://b' })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(
      await rejection(peersCaller(admin, undefined).peers.remove({ address: 'ws://b:2/sync' })),
    ).toEqual({
      code: 'NOT_FOUND',
      rhizome: 'SYNC_DISABLED',
    });
  });
});
