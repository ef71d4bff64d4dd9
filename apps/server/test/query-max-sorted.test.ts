// RHIZOME_QUERY_MAX_SORTED reaches the node: a sorted query that would scan more candidates is
// refused with QUERY_TOO_BROAD over REST, while an unsorted one still answers.
import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { silentLogger, testConfig, TOKENS } from './helpers.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(testConfig({ RHIZOME_QUERY_MAX_SORTED: '2' }), {
    logger: silentLogger,
    store: createMemoryStore(),
  });
});
afterAll(() => server.close());

const call = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

it('refuses a sorted query past RHIZOME_QUERY_MAX_SORTED and answers an unsorted one', async () => {
  const schema = { properties: { n: { kind: 'number', resolver: 'lww' } } };
  expect((await call('PUT', '/api/schemas/item', TOKENS.admin, schema)).status).toBe(200);
  for (const [id, n] of [
    ['i1', 3],
    ['i2', 1],
    ['i3', 2],
  ] as const)
    expect(
      (await call('PUT', `/api/entities/${id}`, TOKENS.alice, { properties: { n } })).status,
    ).toBe(200);
  const sorted = await call('GET', '/api/entities?schema=item&orderBy=n', TOKENS.reader);
  expect(sorted.status).toBe(400);
  expect(((await sorted.json()) as { error: { code: string } }).error.code).toBe('QUERY_TOO_BROAD');
  const plain = await call('GET', '/api/entities?schema=item', TOKENS.reader);
  expect(plain.status).toBe(200);
  expect(((await plain.json()) as { entities: unknown[] }).entities).toHaveLength(3);
});
