import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { silentLogger, testConfig, TOKENS } from './helpers.ts';

// Issue 15 items 4 and 11: no stack traces in tRPC error bodies; client mistakes on the tRPC
// endpoint get client-error codes; a subscription without a token is refused before its stream.

const servers: RunningServer[] = [];
let server: RunningServer;
beforeAll(async () => {
  server = await start({});
});
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function start(env: Record<string, string>): Promise<RunningServer> {
  const started = await startServer(testConfig(env), {
    logger: silentLogger,
    store: createMemoryStore(),
  });
  servers.push(started);
  return started;
}

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));
const auth = { authorization: `Bearer ${TOKENS.alice}` };

describe('tRPC error bodies', () => {
  it('carry no stack and no server path unless RHIZOME_DEBUG_ERRORS is on', async () => {
    const url = (base: string) => `${base}/trpc/entities.get?input=${input({ id: 'nobody' })}`;
    const response = await fetch(url(server.url), { headers: auth });
    expect(response.status).toBe(404);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      error: { data: { rhizome: { code: 'ENTITY_NOT_FOUND' } } },
    });
    expect(text).not.toContain('"stack"');
    expect(text).not.toContain(process.cwd());
    expect(text).not.toMatch(/\/(src|node_modules)\//);

    const debug = await start({ RHIZOME_DEBUG_ERRORS: 'on' });
    const debugText = await (await fetch(url(debug.url), { headers: auth })).text();
    expect(debugText).toContain('"stack"');
  });
});

describe('client mistakes on /trpc', () => {
  it('answers a mutation sent as GET with 405 METHOD_NOT_ALLOWED', async () => {
    const response = await fetch(
      `${server.url}/trpc/entities.put?input=${input({ id: 'x', properties: { a: 1 } })}`,
      { headers: auth },
    );
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({
      error: { data: { rhizome: { code: 'METHOD_NOT_ALLOWED' } } },
    });
  });

  it('answers a text/plain body with 415 UNSUPPORTED_MEDIA_TYPE and stores nothing', async () => {
    const before = (await server.node.status()).deltas;
    const response = await fetch(`${server.url}/trpc/entities.put`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: JSON.stringify({ id: 'x', properties: { a: 1 } }),
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({
      error: { data: { rhizome: { code: 'UNSUPPORTED_MEDIA_TYPE' } } },
    });
    expect((await server.node.status()).deltas).toBe(before);
  });

  it('refuses a subscription without a token with 401 before any stream starts', async () => {
    const path = `/trpc/entities.watch?input=${input({ id: 'x' })}`;
    const anonymous = await fetch(`${server.url}${path}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/json');
    expect(await anonymous.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });

    const peerOnly = await fetch(`${server.url}${path}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${TOKENS.peer}` },
    });
    expect(peerOnly.status).toBe(403);
    await peerOnly.body?.cancel();

    const controller = new AbortController();
    const reader = await fetch(`${server.url}${path}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${TOKENS.reader}` },
      signal: controller.signal,
    });
    expect(reader.status).toBe(200);
    expect(reader.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
  });
});
