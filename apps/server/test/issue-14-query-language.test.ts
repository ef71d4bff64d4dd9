// Issue 14, part 3: the query language over REST (`where`, `orderBy`, `count` as URL parameters)
// and tRPC (`entities.query`), with QUERY_INVALID and the path of the bad part.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, TOKENS } from './helpers.ts';

let t: Awaited<ReturnType<typeof createTestApp>>;

const author = {
  properties: { name: { kind: 'string', resolver: 'lww' } },
};
const book = {
  properties: {
    title: { kind: 'string', resolver: 'lww' },
    year: { kind: 'number', resolver: 'lww' },
    author: { kind: 'reference', resolver: 'lww', target: 'author' },
  },
};

beforeEach(async () => {
  t = await createTestApp();
  for (const [name, body] of [
    ['author', author],
    ['book', book],
  ] as const) {
    const response = await t.request('PUT', `/api/schemas/${name}`, { token: TOKENS.admin, body });
    expect(response.status).toBe(200);
  }
  const put = async (id: string, properties: Record<string, unknown>) => {
    const response = await t.request('PUT', `/api/entities/${id}`, {
      token: TOKENS.alice,
      body: { properties },
    });
    expect(response.status).toBe(200);
  };
  await put('ada', { name: 'Ada Lovelace' });
  await put('alan', { name: 'Alan Turing' });
  await put('b1', { title: 'Notes', year: 1843, author: { id: 'ada' } });
  await put('b2', { title: 'On Computable Numbers', year: 1936, author: { id: 'alan' } });
  await put('b3', { title: 'Computing Machinery', year: 1950, author: { id: 'alan' } });
  await put('b4', { title: 'Untitled' });
});
afterEach(async () => {
  await t.node.close();
});

async function query(params: Record<string, string>) {
  const search = new URLSearchParams({ schema: 'book', ...params });
  const response = await t.request('GET', `/api/entities?${search}`, { token: TOKENS.reader });
  return { status: response.status, body: await response.json() };
}

const ids = (body: { entities: { id: string }[] }) => body.entities.map((entity) => entity.id);

describe('issue 14: the query language over REST and tRPC', () => {
  it('combines and, or, not, comparisons, strings and exists', async () => {
    const where = (w: unknown) => query({ where: JSON.stringify(w) });
    expect(
      ids((await where({ or: [{ year: { lt: 1900 } }, { year: { gte: 1950 } }] })).body),
    ).toEqual(['b1', 'b3']);
    expect(ids((await where({ not: { year: { exists: true } } })).body)).toEqual(['b4']);
    expect(ids((await where({ title: { contains: 'Comput' }, year: { ne: 1950 } })).body)).toEqual([
      'b2',
    ]);
    expect(
      ids((await where({ and: [{ title: { startsWith: 'N' } }, { year: { in: [1843] } }] })).body),
    ).toEqual(['b1']);
    expect(ids((await where({ 'author.name': { startsWith: 'Alan' } })).body)).toEqual([
      'b2',
      'b3',
    ]);
  });

  it('sorts with a direction and pages with keyset cursors, counting the whole result', async () => {
    const first = await query({ orderBy: 'year:desc', limit: '2', count: 'true' });
    expect(first.status).toBe(200);
    expect(ids(first.body)).toEqual(['b3', 'b2']);
    expect(first.body.total).toBe(4);
    const second = await query({ orderBy: 'year:desc', limit: '2', cursor: first.body.cursor });
    // A missing value sorts last in either direction.
    expect(ids(second.body)).toEqual(['b1', 'b4']);
    expect(second.body.cursor).toBeNull();
    const json = await query({
      orderBy: JSON.stringify([
        { property: 'author.name' },
        { property: 'year', direction: 'desc' },
      ]),
    });
    expect(ids(json.body)).toEqual(['b1', 'b3', 'b2', 'b4']);
  });

  it('answers a bad query with QUERY_INVALID and the path of the bad part', async () => {
    const bad = async (params: Record<string, string>, path: unknown[]) => {
      const { status, body } = await query(params);
      expect(status).toBe(400);
      expect(body.error.code).toBe('QUERY_INVALID');
      expect(body.error.details.path).toEqual(path);
    };
    await bad({ where: JSON.stringify({ or: [{ year: { gt: 1 } }, { year: { gt: true } }] }) }, [
      'where',
      'or',
      1,
      'year',
      'gt',
    ]);
    await bad({ where: JSON.stringify({ title: { like: 'x' } }) }, ['where', 'title']);
    await bad({ where: JSON.stringify({ 'title.x': { eq: 1 } }) }, ['where', 'title.x']);
    await bad({ where: '{x' }, ['where']);
    await bad({ orderBy: 'year:up' }, ['orderBy']);
    await bad({ orderBy: JSON.stringify([{ property: 'year', direction: 'up' }]) }, [
      'orderBy',
      0,
      'direction',
    ]);
    await bad({ count: 'yes' }, ['count']);
    await bad({ orderBy: 'year', cursor: 'b1' }, ['cursor']);
    const unsorted = await query({ where: JSON.stringify({ title: { exists: true } }) });
    expect(unsorted.status).toBe(200);
  });

  it('is the same over tRPC entities.query', async () => {
    const input = encodeURIComponent(
      JSON.stringify({
        schema: 'book',
        where: { 'author.name': { contains: 'Turing' } },
        orderBy: [{ property: 'year', direction: 'desc' }],
        count: true,
      }),
    );
    const response = await t.app.request(`/trpc/entities.query?input=${input}`, {
      headers: { authorization: `Bearer ${TOKENS.reader}` },
    });
    const data = (
      (await response.json()) as { result: { data: { entities: { id: string }[]; total: number } } }
    ).result.data;
    expect(ids(data)).toEqual(['b3', 'b2']);
    expect(data.total).toBe(2);
    const bad = encodeURIComponent(
      JSON.stringify({ schema: 'book', where: { not: { year: { lt: null } } } }),
    );
    const rejected = await t.app.request(`/trpc/entities.query?input=${bad}`, {
      headers: { authorization: `Bearer ${TOKENS.reader}` },
    });
    expect(rejected.status).toBe(400);
    const error = (await rejected.json()) as {
      error: { data: { rhizome: { code: string; details: { path: unknown[] } } } };
    };
    expect(error.error.data.rhizome.code).toBe('QUERY_INVALID');
    expect(error.error.data.rhizome.details.path).toEqual(['where', 'not', 'year', 'lt']);
  });
});
