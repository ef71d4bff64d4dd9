import { createMemoryStore } from '@rhizome/storage';
import { TRPCError } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRhizomeNode, type RhizomeNode } from '@rhizome/node';
import type { Principal } from '@rhizome/node';
import { createCaller } from '../root.ts';
import { createContext } from '../trpc.ts';

const alice: Principal = { creator: 'alice', scopes: new Set(['read', 'write']), open: false };
const admin: Principal = { creator: 'root', scopes: new Set(['admin']), open: false };

let node: RhizomeNode;
const caller = (principal: Principal | null = alice) =>
  createCaller(createContext({ node, principal }));

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    return (error.cause as { code?: string } | undefined)?.code ?? error.code;
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'node-1' });
});
afterEach(async () => {
  await node.close();
});

describe('explorer.entities', () => {
  it('lists by prefix with counts and pages with after', async () => {
    for (const id of ['person:ada', 'person:bob', 'person:cy', 'place:rome'])
      await caller().entities.put({ id, properties: { name: id, n: 1 } });
    await caller().entities.put({ id: 'person:ada', properties: { name: 'Ada' } });

    const first = await caller().explorer.entities({ prefix: 'person:', limit: 2 });
    expect(first).toEqual({
      entities: [
        { id: 'person:ada', properties: 2, deltas: 3 },
        { id: 'person:bob', properties: 2, deltas: 2 },
      ],
      cursor: 'person:bob',
      total: 3,
      totalCapped: false,
    });
    const second = await caller().explorer.entities({ prefix: 'person:', after: first.cursor! });
    expect(second.entities.map((row) => row.id)).toEqual(['person:cy']);
    expect(second.cursor).toBeNull();
  });

  it('lists the entities a schema matches', async () => {
    await caller(admin).schemas.put({
      name: 'city',
      schema: { properties: { population: { kind: 'number', resolver: 'lww' } } },
    });
    await caller().entities.put({ id: 'rome', properties: { population: 2_800_000 } });
    await caller().entities.put({ id: 'ada', properties: { name: 'Ada' } });
    const page = await caller().explorer.entities({ schema: 'city' });
    expect(page.entities.map((row) => row.id)).toEqual(['rome']);
    expect(page.total).toBe(1);
    expect(await codeOf(caller().explorer.entities({ schema: 'nope' }))).toBe('SCHEMA_NOT_FOUND');
  });

  it('rejects bad input and callers without read', async () => {
    expect(await codeOf(caller().explorer.entities({ limit: 0 }))).toBe('BAD_REQUEST');
    expect(await codeOf(caller(null).explorer.entities({}))).toBe('UNAUTHENTICATED');
  });
});

describe('explorer.inspect', () => {
  it('shows negated deltas with their negation and the choice of the resolver', async () => {
    const first = await caller().entities.put({ id: 'ada', properties: { name: 'Ada' } });
    const second = await caller().entities.put({ id: 'ada', properties: { name: 'Ada L.' } });
    const negation = await caller().deltas.negate({ id: second.id });

    const inspection = await caller().explorer.inspect({ id: 'ada' });
    const name = inspection.properties.find((p) => p.name === 'name')!;
    expect(name.value).toBe('Ada');
    expect(name.reason).toBe('last-write-wins: newest timeCreated');
    expect(name.deltas.map((row) => [row.delta.id, row.status, row.chosen])).toEqual([
      [first.id, 'visible', true],
      [second.id, 'negated', false],
    ]);
    expect(name.deltas[1]!.negatedBy.map((delta) => delta.id)).toEqual([negation.id]);
    expect(inspection.times).toHaveLength(3);

    const before = await caller().explorer.inspect({ id: 'ada', asOf: inspection.times[1]! });
    expect(before.properties[0]!.value).toBe('Ada L.');
    expect((await node.view('ada', { asOf: inspection.times[1]! })).name).toBe('Ada L.');
  });

  it('answers ENTITY_NOT_FOUND for an entity without deltas and SCHEMA_NOT_FOUND for a bad schema', async () => {
    expect(await codeOf(caller().explorer.inspect({ id: 'nobody' }))).toBe('ENTITY_NOT_FOUND');
    await caller().entities.put({ id: 'ada', properties: { name: 'Ada' } });
    expect(await codeOf(caller().explorer.inspect({ id: 'ada', schema: 'nope' }))).toBe(
      'SCHEMA_NOT_FOUND',
    );
    expect(await codeOf(caller().explorer.inspect({ id: 'ada', asOf: -1 }))).toBe('BAD_REQUEST');
  });
});

describe('explorer.neighbourhood', () => {
  it('finds references to the entity from other entities, while their delta is visible', async () => {
    await caller().entities.put({ id: 'ada', properties: { name: 'Ada' } });
    const link = await caller().entities.put({ id: 'mary', properties: { friend: { id: 'ada' } } });
    const graph = await caller().explorer.neighbourhood({ id: 'ada' });
    expect(graph.nodes).toEqual([
      { id: 'ada', hops: 0 },
      { id: 'mary', hops: 1 },
    ]);
    expect(graph.edges).toEqual([{ from: 'mary', to: 'ada', property: 'friend' }]);
    await caller().deltas.negate({ id: link.id });
    expect((await caller().explorer.neighbourhood({ id: 'ada' })).nodes).toEqual([
      { id: 'ada', hops: 0 },
    ]);
  });

  it('follows reference pointers one or two hops', async () => {
    // One delta sets a name and a friend: only the friend is a link.
    await caller().entities.put({ id: 'ada', properties: { name: 'Ada', friend: { id: 'bob' } } });
    await caller().entities.put({ id: 'bob', properties: { city: { id: 'rome' } } });
    await caller().entities.put({ id: 'rome', properties: { name: 'Rome' } });

    const one = await caller().explorer.neighbourhood({ id: 'ada', hops: 1 });
    expect(one.nodes).toEqual([
      { id: 'ada', hops: 0 },
      { id: 'bob', hops: 1 },
    ]);
    expect(one.edges).toEqual([{ from: 'ada', to: 'bob', property: 'friend' }]);

    const two = await caller().explorer.neighbourhood({ id: 'ada', hops: 2 });
    expect(two.nodes.map((n) => n.id)).toEqual(['ada', 'bob', 'rome']);
    expect(two.edges).toContainEqual({ from: 'bob', to: 'rome', property: 'city' });
    expect(two.truncated).toBe(false);
    expect(await codeOf(caller().explorer.neighbourhood({ id: 'ada', hops: 3 as 2 }))).toBe(
      'BAD_REQUEST',
    );
  });
});
