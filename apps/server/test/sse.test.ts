import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSharedFrame, formatEvent } from '../src/rest/sse.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { silentLogger, testConfig, TOKENS } from './helpers.ts';

interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data: unknown;
}

/** Opens an SSE response and reads events from it (comments skipped). */
async function openEvents(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${TOKENS.reader}`, ...headers },
    signal: controller.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const next = async (): Promise<SseEvent | undefined> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(': ');
          fields[line.slice(0, colon)] = line.slice(colon + 2);
        }
        if (fields.data === undefined) continue;
        return {
          ...(fields.id === undefined ? {} : { id: fields.id }),
          ...(fields.event === undefined ? {} : { event: fields.event }),
          data: JSON.parse(fields.data),
        };
      }
      const chunk = await reader.read();
      if (chunk.done) return undefined;
      buffer += chunk.value;
    }
  };
  return { response, next, close: () => controller.abort() };
}

describe('REST Server-Sent Events', () => {
  let server: RunningServer;
  const put = (id: string, properties: Record<string, unknown>) =>
    fetch(`${server.url}/api/entities/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ properties }),
    }).then(async (r) => ((await r.json()) as { id: string }).id);

  beforeAll(async () => {
    server = await startServer(testConfig(), { logger: silentLogger, store: createMemoryStore() });
  });
  afterAll(async () => {
    await server.close();
  });

  it('GET /api/entities/:id/watch sends the view, then each change', async () => {
    await put('lamp', { on: false });
    const [a, b] = await Promise.all([
      openEvents(`${server.url}/api/entities/lamp/watch`),
      openEvents(`${server.url}/api/entities/lamp/watch`),
    ]);
    expect(a.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect((await a.next())?.data).toEqual({ id: 'lamp', on: false });
    expect((await b.next())?.data).toEqual({ id: 'lamp', on: false });
    await put('lamp', { on: true });
    expect((await a.next())?.data).toEqual({ id: 'lamp', on: true });
    expect((await b.next())?.data).toEqual({ id: 'lamp', on: true });
    a.close();
    b.close();
  });

  it('answers a bad watch with the usual JSON error and status', async () => {
    const missing = await fetch(`${server.url}/api/entities/lamp/watch?schema=nope`, {
      headers: { authorization: `Bearer ${TOKENS.reader}` },
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
      'SCHEMA_NOT_FOUND',
    );
    const anonymous = await fetch(`${server.url}/api/entities/lamp/watch`);
    expect(anonymous.status).toBe(401);
  });

  it('GET /api/deltas/stream carries seqs and resumes from Last-Event-ID', async () => {
    const live = await openEvents(`${server.url}/api/deltas/stream`);
    const first = await put('feed', { n: 1 });
    const event = await live.next();
    expect((event?.data as { id: string }).id).toBe(first);
    live.close();
    const missed = [await put('feed', { n: 2 }), await put('feed', { n: 3 })];
    const resumed = await openEvents(`${server.url}/api/deltas/stream`, {
      'last-event-id': event!.id!,
    });
    const replayed = [await resumed.next(), await resumed.next()];
    expect(replayed.map((e) => (e?.data as { id: string }).id)).toEqual(missed);
    expect(Number(replayed[1]!.id)).toBeGreaterThan(Number(replayed[0]!.id));
    resumed.close();
    const bad = await fetch(`${server.url}/api/deltas/stream?lastEventId=x`, {
      headers: { authorization: `Bearer ${TOKENS.reader}` },
    });
    expect(bad.status).toBe(400);
  });

  it('ends subscriptions of clients that go away', async () => {
    await put('gone', { n: 0 });
    const before = server.node.stats().subscriptions;
    const watcher = await openEvents(`${server.url}/api/entities/gone/watch`);
    await watcher.next();
    expect(server.node.stats().subscriptions).toBe(before + 1);
    watcher.close();
    await expect
      .poll(async () => {
        await put('gone', { n: Math.random() }); // a write wakes the stream, which then sees the abort
        return server.node.stats().subscriptions;
      })
      .toBe(before);
  });

  it('encodes one frame per shared view, whatever the number of subscribers', () => {
    const view = Object.freeze({ id: 'x', n: 1 });
    let built = 0;
    const text = () => {
      built++;
      return formatEvent(view);
    };
    const frames = Array.from({ length: 1000 }, () => encodeSharedFrame(view, text));
    expect(built).toBe(1);
    expect(new Set(frames).size).toBe(1);
    expect(new TextDecoder().decode(frames[0])).toBe('data: {"id":"x","n":1}\n\n');
  });
});
