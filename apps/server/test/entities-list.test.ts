import { describe, expect, it } from 'vitest';
import { createTestApp, TOKENS } from './helpers.ts';

async function seeded() {
  const test = await createTestApp();
  for (const [id, properties] of [
    ['user:ada', { name: 'Ada', age: 36 }],
    ['user:bo', { name: 'Bo' }],
    ['user:cy', { name: 'Cy' }],
    ['item:1', { title: 'Lamp' }],
  ] as const) {
    const response = await test.request('PUT', `/api/entities/${id}`, {
      token: TOKENS.alice,
      body: { properties },
    });
    expect(response.status).toBe(200);
  }
  return test;
}

describe('GET /api/entities without a schema', () => {
  it('lists every entity with its schemaless view, in id order', async () => {
    const { request } = await seeded();
    const response = await request('GET', '/api/entities', { token: TOKENS.reader });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      entities: [
        { id: 'item:1', title: 'Lamp' },
        { id: 'user:ada', name: 'Ada', age: 36 },
        { id: 'user:bo', name: 'Bo' },
        { id: 'user:cy', name: 'Cy' },
      ],
      cursor: null,
    });
  });

  it('filters by prefix and pages with limit and cursor', async () => {
    const { request } = await seeded();
    const first = await (
      await request('GET', '/api/entities?prefix=user:&limit=2', { token: TOKENS.reader })
    ).json();
    expect(first.entities.map((e: { id: string }) => e.id)).toEqual(['user:ada', 'user:bo']);
    expect(first.cursor).toBe('user:bo');
    const second = await (
      await request('GET', `/api/entities?prefix=user:&limit=2&cursor=${first.cursor}`, {
        token: TOKENS.reader,
      })
    ).json();
    expect(second).toEqual({ entities: [{ id: 'user:cy', name: 'Cy' }], cursor: null });
  });

  it('leaves out entities whose every delta is negated, and reads asOf', async () => {
    const { request, node } = await seeded();
    const bo = (await node.hyperview('user:bo')).properties.name![0]!;
    await request('POST', `/api/deltas/${bo.id}/negate`, { token: TOKENS.alice });
    const page = await (
      await request('GET', '/api/entities?prefix=user:', { token: TOKENS.reader })
    ).json();
    expect(page.entities.map((e: { id: string }) => e.id)).toEqual(['user:ada', 'user:cy']);
    const ada = (await node.hyperview('user:ada')).properties.name![0]!;
    const before = await (
      await request('GET', `/api/entities?asOf=${ada.timeCreated}`, { token: TOKENS.reader })
    ).json();
    expect(before.entities).toEqual([{ id: 'user:ada', name: 'Ada', age: 36 }]);
  });

  it('is also the tRPC query entities.list', async () => {
    const { app } = await seeded();
    const input = encodeURIComponent(JSON.stringify({ prefix: 'item:' }));
    const response = await app.request(`/trpc/entities.list?input=${input}`, {
      headers: { authorization: `Bearer ${TOKENS.reader}` },
    });
    expect(((await response.json()) as { result: { data: unknown } }).result.data).toEqual({
      entities: [{ id: 'item:1', title: 'Lamp' }],
      cursor: null,
    });
  });

  it('rejects bad parameters with INVALID_REQUEST and needs the read scope', async () => {
    const { request } = await seeded();
    for (const query of ['limit=0', 'limit=abc', 'limit=1001', 'asOf=-1', 'where=%7B%7D']) {
      const response = await request('GET', `/api/entities?${query}`, { token: TOKENS.reader });
      expect(response.status, query).toBe(400);
      expect((await response.json()).error.code, query).toBe('INVALID_REQUEST');
    }
    const withSchema = await request('GET', '/api/entities?schema=x&prefix=a', {
      token: TOKENS.reader,
    });
    expect((await withSchema.json()).error.code).toBe('INVALID_REQUEST');
    expect((await request('GET', '/api/entities')).status).toBe(401);
    const peer = await request('GET', '/api/entities', { token: TOKENS.peer });
    expect(peer.status).toBe(403);
  });
});
