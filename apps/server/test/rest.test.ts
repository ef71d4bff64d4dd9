import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createDeltaBuilder } from '@rhizome/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, setDelta, TOKENS, type JsonResponse } from './helpers.ts';

let t: Awaited<ReturnType<typeof createTestApp>>;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.node.close();
});

async function expectError(response: JsonResponse | Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as {
    error: { code: string; message: string; details: unknown };
  };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error).toHaveProperty('details');
  return body.error;
}

const person = {
  properties: {
    name: { kind: 'string', resolver: 'lww' },
    age: { kind: 'number', resolver: 'max' },
  },
};

describe('POST /api/deltas', () => {
  it('stores one delta, filling in id, timeCreated, host and creator from the token', async () => {
    const response = await t.request('POST', '/api/deltas', {
      token: TOKENS.alice,
      body: setDelta('ada', 'name', 'Ada'),
    });
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: { id: string; status: string }[] };
    expect(results).toEqual([{ id: expect.any(String), status: 'stored' }]);
    const stored = await (
      await t.request('GET', `/api/deltas/${results[0]!.id}`, { token: TOKENS.reader })
    ).json();
    expect(stored).toMatchObject({
      id: results[0]!.id,
      creator: 'alice',
      host: 'test-node',
      timeCreated: expect.any(Number),
    });
  });

  it('stores a batch atomically and reports duplicates', async () => {
    const full = createDeltaBuilder({ creator: 'alice', host: 'elsewhere', timeCreated: 1000 })
      .set('x', { a: 1 })
      .build();
    const body = { deltas: [full, setDelta('y', 'b', 2), full] };
    const first = await (
      await t.request('POST', '/api/deltas', { token: TOKENS.alice, body })
    ).json();
    expect(first.results.map((r: { status: string }) => r.status)).toEqual([
      'stored',
      'stored',
      'duplicate',
    ]);
    const again = await (
      await t.request('POST', '/api/deltas', { token: TOKENS.alice, body: { deltas: [full] } })
    ).json();
    expect(again.results).toEqual([{ id: full.id, status: 'duplicate' }]);
  });

  it('rejects an invalid delta with 400 and stores nothing of the batch', async () => {
    const body = {
      deltas: [setDelta('a', 'p', 1), { pointers: [{ localContext: 'x', target: { nope: 1 } }] }],
    };
    const error = await expectError(
      await t.request('POST', '/api/deltas', { token: TOKENS.alice, body }),
      400,
      'POINTER_INVALID',
    );
    expect((error.details as { path: unknown[] }).path[0]).toBe(1);
    expect((await t.node.status()).deltas).toBe(0);
  });

  it('rejects a wrong id, bad JSON and an empty batch with 400', async () => {
    const delta = createDeltaBuilder({ creator: 'alice', host: 'h', timeCreated: 5 })
      .set('x', { a: 1 })
      .build();
    await expectError(
      await t.request('POST', '/api/deltas', {
        token: TOKENS.alice,
        body: { ...delta, id: 'A'.repeat(43) },
      }),
      400,
      'DELTA_ID_MISMATCH',
    );
    await expectError(
      await t.request('POST', '/api/deltas', { token: TOKENS.alice, raw: '{oops' }),
      400,
      'INVALID_REQUEST',
    );
    await expectError(
      await t.request('POST', '/api/deltas', { token: TOKENS.alice, body: { deltas: [] } }),
      400,
      'INVALID_REQUEST',
    );
    await expectError(
      await t.request('POST', '/api/deltas', { token: TOKENS.alice, body: 'text' }),
      400,
      'DELTA_INVALID',
    );
  });

  it('refuses impersonation with 403', async () => {
    const asBob = createDeltaBuilder({ creator: 'bob', host: 'h' }).set('x', { a: 1 }).build();
    await expectError(
      await t.request('POST', '/api/deltas', { token: TOKENS.alice, body: asBob }),
      403,
      'CREATOR_MISMATCH',
    );
    await expectError(
      await t.request('POST', '/api/deltas', {
        token: TOKENS.alice,
        body: { ...setDelta('x', 'a', 1), creator: 'bob' },
      }),
      403,
      'CREATOR_MISMATCH',
    );
    expect((await t.node.status()).deltas).toBe(0);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = setDelta('x', 'blob', 'z'.repeat(70 * 1024));
    await expectError(
      await t.request('POST', '/api/deltas', { token: TOKENS.alice, body: big }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('holds the limit over a real socket, by Content-Length and for chunked bodies', async () => {
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const post = (body: string, chunked: boolean) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const request = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/api/deltas',
            method: 'POST',
            headers: {
              authorization: `Bearer ${TOKENS.alice}`,
              'content-type': 'application/json',
              ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
            },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
          },
        );
        request.on('error', reject);
        // Two writes without a length: Node sends the body chunked.
        request.write(body.slice(0, 10));
        request.end(body.slice(10));
      });
    try {
      const big = JSON.stringify(setDelta('x', 'blob', 'z'.repeat(70 * 1024)));
      const small = JSON.stringify(setDelta('x', 'blob', 'z'));
      for (const chunked of [false, true]) {
        const over = await post(big, chunked);
        expect(over.status).toBe(413);
        expect(over.text).toContain('PAYLOAD_TOO_LARGE');
        expect((await post(small, chunked)).status).toBe(200);
      }
      expect((await t.node.status()).deltas).toBe(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('authentication and scopes', () => {
  it('401 without a token or with an unknown one, with WWW-Authenticate', async () => {
    const none = await t.request('GET', '/api/deltas');
    await expectError(none, 401, 'UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(
      await t.request('GET', '/api/deltas', { token: 'not-a-real-token-at-all' }),
      401,
      'UNAUTHENTICATED',
    );
    const malformed = await t.app.request('/api/deltas', {
      headers: { authorization: 'Basic abc' },
    });
    await expectError(malformed, 401, 'UNAUTHENTICATED');
    await expectError(
      await t.app.request('/trpc/node.status', {
        headers: { authorization: 'Bearer nope-nope-nope-nope' },
      }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('403 per scope: read cannot write, write cannot put schemas, peer cannot read', async () => {
    await expectError(
      await t.request('POST', '/api/deltas', { token: TOKENS.reader, body: setDelta('x', 'a', 1) }),
      403,
      'FORBIDDEN',
    );
    await expectError(
      await t.request('PUT', '/api/entities/x', {
        token: TOKENS.reader,
        body: { properties: { a: 1 } },
      }),
      403,
      'FORBIDDEN',
    );
    await expectError(
      await t.request('PUT', '/api/schemas/person', { token: TOKENS.alice, body: person }),
      403,
      'FORBIDDEN',
    );
    await expectError(
      await t.request('GET', '/api/deltas', { token: TOKENS.peer }),
      403,
      'FORBIDDEN',
    );
    // admin implies read and write
    expect(
      (
        await t.request('PUT', '/api/entities/x', {
          token: TOKENS.admin,
          body: { properties: { a: 1 } },
        })
      ).status,
    ).toBe(200);
    expect((await t.request('GET', '/api/entities/x', { token: TOKENS.admin })).status).toBe(200);
  });

  it('leaves /healthz and /metrics open, and /readyz reports readiness', async () => {
    expect(await (await t.app.request('/healthz')).json()).toEqual({
      status: 'ok',
      nodeId: 'test-node',
    });
    expect(await (await t.app.request('/readyz')).json()).toEqual({ status: 'ready' });
    const metrics = await t.app.request('/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('# TYPE rhizome_http_requests_total counter');
    expect(text).toMatch(
      /rhizome_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/,
    );
    await t.node.close();
    await expectError(await t.app.request('/readyz'), 503, 'NODE_UNAVAILABLE');
  });

  it('answers unknown routes with the error shape', async () => {
    await expectError(
      await t.request('GET', '/api/nothing', { token: TOKENS.reader }),
      404,
      'ROUTE_NOT_FOUND',
    );
  });
});

describe('deltas: get, list, negate', () => {
  it('404 for an unknown delta', async () => {
    await expectError(
      await t.request('GET', '/api/deltas/unknown', { token: TOKENS.reader }),
      404,
      'DELTA_NOT_FOUND',
    );
    await expectError(
      await t.request('POST', '/api/deltas/unknown/negate', { token: TOKENS.alice }),
      404,
      'DELTA_NOT_FOUND',
    );
  });

  it('lists in local order with a cursor', async () => {
    for (const n of [1, 2, 3])
      await t.request('POST', '/api/deltas', {
        token: TOKENS.alice,
        body: setDelta(`e${n}`, 'n', n),
      });
    const first = await (
      await t.request('GET', '/api/deltas?limit=2', { token: TOKENS.reader })
    ).json();
    expect(first.deltas).toHaveLength(2);
    expect(typeof first.cursor).toBe('string');
    const rest = await (
      await t.request('GET', `/api/deltas?after=${first.cursor}&limit=2`, { token: TOKENS.reader })
    ).json();
    expect(
      rest.deltas.map((d: { pointers: { target: unknown }[] }) => d.pointers[1]!.target),
    ).toEqual([3]);
    await expectError(
      await t.request('GET', '/api/deltas?limit=abc', { token: TOKENS.reader }),
      400,
      'INVALID_REQUEST',
    );
    await expectError(
      await t.request('GET', '/api/deltas?after=-1', { token: TOKENS.reader }),
      400,
      'INVALID_REQUEST',
    );
    await expectError(
      await t.request('GET', '/api/deltas?limit=100000', { token: TOKENS.reader }),
      400,
      'INVALID_REQUEST',
    );
  });

  it('negates own deltas; another creator’s needs admin', async () => {
    const put = await (
      await t.request('PUT', '/api/entities/ada', {
        token: TOKENS.alice,
        body: { properties: { name: 'Ada' } },
      })
    ).json();
    await expectError(
      await t.request('POST', `/api/deltas/${put.id}/negate`, { token: TOKENS.bob }),
      403,
      'FORBIDDEN',
    );
    expect((await t.request('GET', '/api/entities/ada', { token: TOKENS.reader })).status).toBe(
      200,
    );
    const negation = await t.request('POST', `/api/deltas/${put.id}/negate`, {
      token: TOKENS.alice,
    });
    expect(negation.status).toBe(200);
    expect(await negation.json()).toEqual({ id: expect.any(String), status: 'stored' });
    await expectError(
      await t.request('GET', '/api/entities/ada', { token: TOKENS.reader }),
      404,
      'ENTITY_NOT_FOUND',
    );

    const other = await (
      await t.request('PUT', '/api/entities/bo', {
        token: TOKENS.bob,
        body: { properties: { name: 'Bo' } },
      })
    ).json();
    expect(
      (await t.request('POST', `/api/deltas/${other.id}/negate`, { token: TOKENS.admin })).status,
    ).toBe(200);
  });
});

describe('entities and schemas', () => {
  it('PUT properties, GET view (schemaless, schema, asOf), hyperview and 404s', async () => {
    const first = await (
      await t.request('PUT', '/api/entities/ada', {
        token: TOKENS.alice,
        body: { properties: { name: 'Ada', age: 36 } },
      })
    ).json();
    const { timeCreated } = await (
      await t.request('GET', `/api/deltas/${first.id}`, { token: TOKENS.reader })
    ).json();
    await t.request('PUT', '/api/entities/ada', {
      token: TOKENS.bob,
      body: { properties: { age: 30, friend: { id: 'bob' } } },
    });
    expect(
      (await t.request('PUT', '/api/schemas/person', { token: TOKENS.admin, body: person })).status,
    ).toBe(200);

    expect(
      await (await t.request('GET', '/api/entities/ada', { token: TOKENS.reader })).json(),
    ).toEqual({
      id: 'ada',
      name: 'Ada',
      age: 30,
      friend: { id: 'bob' },
    });
    expect(
      await (
        await t.request('GET', '/api/entities/ada?schema=person', { token: TOKENS.reader })
      ).json(),
    ).toEqual({ id: 'ada', name: 'Ada', age: 36 });
    expect(
      await (
        await t.request('GET', `/api/entities/ada?asOf=${timeCreated}`, { token: TOKENS.reader })
      ).json(),
    ).toEqual({
      id: 'ada',
      name: 'Ada',
      age: 36,
    });
    await expectError(
      await t.request('GET', '/api/entities/ada?asOf=0', { token: TOKENS.reader }),
      404,
      'ENTITY_NOT_FOUND',
    );
    await expectError(
      await t.request('GET', '/api/entities/ada?schema=nope', { token: TOKENS.reader }),
      404,
      'SCHEMA_NOT_FOUND',
    );
    await expectError(
      await t.request('GET', '/api/entities/nobody', { token: TOKENS.reader }),
      404,
      'ENTITY_NOT_FOUND',
    );
    await expectError(
      await t.request('GET', '/api/entities/ada?asOf=yesterday', { token: TOKENS.reader }),
      400,
      'INVALID_REQUEST',
    );

    const hyperview = await (
      await t.request('GET', '/api/entities/ada/hyperview', { token: TOKENS.reader })
    ).json();
    expect(hyperview.id).toBe('ada');
    expect(hyperview.properties.age).toHaveLength(2);
    const past = await (
      await t.request('GET', `/api/entities/ada/hyperview?asOf=${timeCreated}`, {
        token: TOKENS.reader,
      })
    ).json();
    expect(past.properties.age).toHaveLength(1);
  });

  it('rejects bad PUT bodies with 400', async () => {
    await expectError(
      await t.request('PUT', '/api/entities/x', { token: TOKENS.alice, body: { properties: {} } }),
      400,
      'INVALID_REQUEST',
    );
    await expectError(
      await t.request('PUT', '/api/entities/x', {
        token: TOKENS.alice,
        body: { properties: { a: [1] } },
      }),
      400,
      'INVALID_REQUEST',
    );
    await expectError(
      await t.request('PUT', '/api/entities/x', { token: TOKENS.alice, body: { name: 'x' } }),
      400,
      'INVALID_REQUEST',
    );
  });

  it('PUT/GET schemas, list, 404 and invalid schemas', async () => {
    const put = await (
      await t.request('PUT', '/api/schemas/person', { token: TOKENS.admin, body: person })
    ).json();
    expect(put).toMatchObject({
      id: expect.any(String),
      schema: { name: 'person', properties: person.properties },
    });
    expect(
      await (await t.request('GET', '/api/schemas/person', { token: TOKENS.reader })).json(),
    ).toEqual(put.schema);
    expect(await (await t.request('GET', '/api/schemas', { token: TOKENS.reader })).json()).toEqual(
      { schemas: [put.schema] },
    );
    await expectError(
      await t.request('GET', '/api/schemas/nope', { token: TOKENS.reader }),
      404,
      'SCHEMA_NOT_FOUND',
    );
    await expectError(
      await t.request('PUT', '/api/schemas/bad', {
        token: TOKENS.admin,
        body: { properties: { a: { kind: 'string', resolver: 'nope' } } },
      }),
      400,
      'SCHEMA_INVALID',
    );
    await expectError(
      await t.request('PUT', '/api/schemas/other', {
        token: TOKENS.admin,
        body: { ...person, name: 'person' },
      }),
      400,
      'INVALID_REQUEST',
    );
    // Removing a schema: an admin negates its delta.
    await expectError(
      await t.request('POST', `/api/deltas/${put.id}/negate`, { token: TOKENS.alice }),
      403,
      'FORBIDDEN',
    );
    expect(
      (await t.request('POST', `/api/deltas/${put.id}/negate`, { token: TOKENS.admin })).status,
    ).toBe(200);
    await expectError(
      await t.request('GET', '/api/schemas/person', { token: TOKENS.reader }),
      404,
      'SCHEMA_NOT_FOUND',
    );
    expect(await (await t.request('GET', '/api/schemas', { token: TOKENS.reader })).json()).toEqual(
      { schemas: [] },
    );
  });

  it('queries with schema, where, limit and cursor', async () => {
    await t.request('PUT', '/api/schemas/person', { token: TOKENS.admin, body: person });
    for (const [id, age] of [
      ['a', 20],
      ['b', 40],
      ['c', 50],
      ['d', 60],
    ] as const) {
      await t.request('PUT', `/api/entities/${id}`, {
        token: TOKENS.alice,
        body: { properties: { name: id, age } },
      });
    }
    const where = encodeURIComponent(JSON.stringify({ age: { gte: 30 } }));
    const first = await (
      await t.request('GET', `/api/entities?schema=person&where=${where}&limit=2`, {
        token: TOKENS.reader,
      })
    ).json();
    expect(first.entities.map((e: { id: string }) => e.id)).toEqual(['b', 'c']);
    const next = await (
      await t.request(
        'GET',
        `/api/entities?schema=person&where=${where}&limit=2&cursor=${first.cursor}`,
        { token: TOKENS.reader },
      )
    ).json();
    expect(next).toEqual({ entities: [{ id: 'd', name: 'd', age: 60 }], cursor: null });
    // Without `schema` the route lists every entity (entities-list.test.ts); an empty one is an error.
    await expectError(
      await t.request('GET', '/api/entities?schema=', { token: TOKENS.reader }),
      400,
      'INVALID_REQUEST',
    );
    await expectError(
      await t.request('GET', '/api/entities?schema=person&where=%7Bx', { token: TOKENS.reader }),
      400,
      'QUERY_INVALID',
    );
    await expectError(
      await t.request('GET', '/api/entities?schema=nope', { token: TOKENS.reader }),
      404,
      'SCHEMA_NOT_FOUND',
    );
  });
});

describe('open mode', () => {
  it('lets loopback callers in without a token', async () => {
    const open = await createTestApp({ tokens: [] });
    const response = await open.request('PUT', '/api/entities/x', {
      body: { properties: { a: 1 } },
    });
    expect(response.status).toBe(200);
    const { id } = await response.json();
    expect((await (await open.request('GET', `/api/deltas/${id}`)).json()).creator).toBe('local');
    await open.node.close();
  });
});
