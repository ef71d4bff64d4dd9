import { request as httpRequest } from 'node:http';
import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../src/server.ts';
import { setDelta, silentLogger, testConfig } from './helpers.ts';

// Issue 15 item 2: web pages in the user's browser must not write to an open node on 127.0.0.1
// (simple cross-site POSTs, foreign origins) nor read it through a rebound DNS name.

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A raw HTTP request, so that Host and Origin are exactly what a browser could send. */
function send(
  server: RunningServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method, path, headers },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (answer: Answer) =>
  (JSON.parse(answer.body) as { error: { code: string } }).error.code;

const servers: RunningServer[] = [];
let open: RunningServer;
let withCors: RunningServer;
beforeAll(async () => {
  const start = async (env: Record<string, string>) => {
    const server = await startServer(testConfig({ RHIZOME_TOKENS: '', ...env }), {
      logger: silentLogger,
      store: createMemoryStore(),
    });
    servers.push(server);
    return server;
  };
  open = await start({});
  withCors = await start({ RHIZOME_CORS_ORIGINS: 'http://app.example:3000' });
});
afterAll(() => Promise.all(servers.map((server) => server.close())));

const body = JSON.stringify(setDelta('cross', 'name', 'written'));
const host = (server: RunningServer) => `127.0.0.1:${server.port}`;

describe('an open node and other web pages', () => {
  it('takes JSON bodies only as application/json (a form or text/plain POST needs no preflight)', async () => {
    const before = (await open.node.status()).deltas;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const answer = await send(
        open,
        'POST',
        '/api/deltas',
        { host: host(open), 'content-type': type },
        body,
      );
      expect(answer.status, type).toBe(415);
      expect(codeOf(answer)).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const none = await send(open, 'POST', '/api/deltas', { host: host(open) }, body);
    expect(none.status).toBe(415);
    expect((await open.node.status()).deltas).toBe(before);
    const json = await send(
      open,
      'POST',
      '/api/deltas',
      { host: host(open), 'content-type': 'application/json; charset=utf-8' },
      body,
    );
    expect(json.status).toBe(200);
  });

  it('refuses a Host that is not a loopback name (DNS rebinding), for reads too', async () => {
    const rebound = await send(open, 'GET', '/api/entities/cross', {
      host: `attacker.example:${open.port}`,
    });
    expect(rebound.status).toBe(403);
    expect(codeOf(rebound)).toBe('HOST_NOT_ALLOWED');
    for (const name of [`localhost:${open.port}`, host(open), `[::1]:${open.port}`]) {
      const answer = await send(open, 'GET', '/healthz', { host: name });
      expect(answer.status, name).toBe(200);
    }
  });

  it('refuses a state-changing request from another origin, and takes one from its own', async () => {
    const before = (await open.node.status()).deltas;
    const foreign = await send(
      open,
      'POST',
      '/api/deltas',
      { host: host(open), origin: 'http://attacker.example', 'content-type': 'application/json' },
      JSON.stringify(setDelta('cross', 'name', 'from a foreign page')),
    );
    expect(foreign.status).toBe(403);
    expect(codeOf(foreign)).toBe('ORIGIN_NOT_ALLOWED');
    const trpc = await send(
      open,
      'POST',
      '/trpc/entities.put',
      { host: host(open), origin: 'http://attacker.example', 'content-type': 'application/json' },
      JSON.stringify({ id: 'cross', properties: { name: 'via tRPC' } }),
    );
    expect(trpc.status).toBe(403);
    expect((await open.node.status()).deltas).toBe(before);

    // The Explorer is served by the node itself: its calls carry the node's own origin.
    const own = await send(
      open,
      'POST',
      '/api/deltas',
      { host: host(open), origin: `http://${host(open)}`, 'content-type': 'application/json' },
      JSON.stringify(setDelta('cross', 'name', 'from the explorer')),
    );
    expect(own.status).toBe(200);
  });

  it('answers CORS for the origins in RHIZOME_CORS_ORIGINS, and only for them', async () => {
    const preflight = await send(withCors, 'OPTIONS', '/api/deltas', {
      host: host(withCors),
      origin: 'http://app.example:3000',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://app.example:3000');
    const write = await send(
      withCors,
      'POST',
      '/api/deltas',
      {
        host: host(withCors),
        origin: 'http://app.example:3000',
        'content-type': 'application/json',
      },
      body,
    );
    expect(write.status).toBe(200);
    expect(write.headers['access-control-allow-origin']).toBe('http://app.example:3000');

    const other = await send(
      withCors,
      'POST',
      '/api/deltas',
      {
        host: host(withCors),
        origin: 'http://attacker.example',
        'content-type': 'application/json',
      },
      body,
    );
    expect(other.status).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('takes no sync link from a web page (a WebSocket with an Origin) or a rebound host name', async () => {
    const upgrade = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${open.port}/sync`, { headers });
        socket.once('open', () => {
          socket.terminate();
          resolve(101);
        });
        socket.once('unexpected-response', (_request, response) =>
          resolve(response.statusCode ?? 0),
        );
        socket.once('error', (error) => {
          if (!String(error.message).includes('Unexpected server response')) reject(error);
        });
      });
    expect(await upgrade({ origin: 'http://attacker.example' })).toBe(403);
    expect(await upgrade({ host: `attacker.example:${open.port}` })).toBe(403);
    expect(await upgrade({})).toBe(101);
  });
});
