import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, getRhizomeError } from '@rhizome/client';
import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { setDelta, silentLogger, testConfig, TOKENS } from './helpers.ts';

/** Resolves with the first value `predicate` accepts from a subscription, or rejects on its error. */
function firstMatching<T>(
  subscribe: (handlers: { onData: (value: T) => void; onError: (error: unknown) => void }) => {
    unsubscribe(): void;
  },
  predicate: (value: T) => boolean,
  onStarted?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let started = false;
    const subscription = subscribe({
      onData(value) {
        if (!started) {
          started = true;
          onStarted?.();
        }
        if (!predicate(value)) return;
        subscription.unsubscribe();
        resolve(value);
      },
      onError: reject,
    });
  });
}

describe('over a real socket with @rhizome/client', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(testConfig(), { logger: silentLogger, store: createMemoryStore() });
  });
  afterAll(async () => {
    await server.close();
  });

  it('runs queries and mutations with full types', async () => {
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    const admin = createClient({ url: server.url, token: TOKENS.admin });
    await admin.schemas.put.mutate({
      name: 'person',
      schema: {
        properties: {
          name: { kind: 'string', resolver: 'lww' },
          age: { kind: 'number', resolver: 'max' },
        },
      },
    });
    const put = await alice.entities.put.mutate({
      id: 'ada',
      properties: { name: 'Ada', age: 36 },
    });
    expect(put.status).toBe('stored');
    const [view, delta, schemas] = await Promise.all([
      alice.entities.get.query({ id: 'ada', schema: 'person' }),
      alice.deltas.get.query({ id: put.id }),
      alice.schemas.list.query(),
    ]);
    expect(view).toEqual({ id: 'ada', name: 'Ada', age: 36 });
    expect(delta.creator).toBe('alice');
    expect(schemas.map((s) => s.name)).toEqual(['person']);
    const appended = await alice.deltas.append.mutate({ deltas: [setDelta('bob', 'name', 'Bob')] });
    expect(appended.results[0]!.status).toBe('stored');
    expect((await alice.node.status.query()).deltas).toBeGreaterThanOrEqual(3);
  });

  it('carries stable error codes and HTTP statuses to the client', async () => {
    const reader = createClient({ url: server.url, token: TOKENS.reader });
    const error = await reader.entities.put
      .mutate({ id: 'x', properties: { a: 1 } })
      .catch((e: unknown) => e);
    expect(getRhizomeError(error)).toMatchObject({ httpStatus: 403, code: 'FORBIDDEN' });
    const missing = await reader.entities.get.query({ id: 'nobody' }).catch((e: unknown) => e);
    expect(getRhizomeError(missing)).toMatchObject({
      httpStatus: 404,
      code: 'ENTITY_NOT_FOUND',
      details: { id: 'nobody' },
    });
    const anonymous = createClient({ url: server.url });
    const denied = await anonymous.node.status.query().catch((e: unknown) => e);
    expect(getRhizomeError(denied)).toMatchObject({ httpStatus: 401, code: 'UNAUTHENTICATED' });
  });

  it('pushes an entity view over SSE after a write', async () => {
    const reader = createClient({ url: server.url, token: TOKENS.reader });
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    const updated = firstMatching<Record<string, unknown>>(
      (handlers) => reader.entities.watch.subscribe({ id: 'watched' }, handlers),
      (view) => view.mood === 'happy',
      () => void alice.entities.put.mutate({ id: 'watched', properties: { mood: 'happy' } }),
    );
    expect(await updated).toEqual({ id: 'watched', mood: 'happy' });
  });

  it('pushes a query page over SSE when a write changes it', async () => {
    const reader = createClient({ url: server.url, token: TOKENS.reader });
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    await createClient({ url: server.url, token: TOKENS.admin }).schemas.put.mutate({
      name: 'aged',
      schema: {
        properties: {
          name: { kind: 'string', resolver: 'lww' },
          age: { kind: 'number', resolver: 'max' },
        },
      },
    });
    const page = firstMatching<{ entities: readonly { id: string }[] }>(
      (handlers) =>
        reader.entities.watchQuery.subscribe(
          { schema: 'aged', where: { age: { gte: 90 } } },
          handlers,
        ),
      (p) => p.entities.some((e) => e.id === 'elder'),
      () => void alice.entities.put.mutate({ id: 'elder', properties: { name: 'E', age: 99 } }),
    );
    expect((await page).entities).toEqual([{ id: 'elder', name: 'E', age: 99 }]);
  });

  it('refuses a subscription without a token', async () => {
    const anonymous = createClient({ url: server.url });
    const error = await new Promise<unknown>((resolve) => {
      anonymous.entities.watch.subscribe({ id: 'x' }, { onData: resolve, onError: resolve });
    });
    expect(getRhizomeError(error)).toMatchObject({ code: 'UNAUTHENTICATED', httpStatus: 401 });
  });

  it('streams raw deltas over SSE', async () => {
    const reader = createClient({ url: server.url, token: TOKENS.reader });
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    let written: string | undefined;
    // The stream only carries new deltas: keep writing until one arrives, so the test does not
    // depend on when the server registered the subscriber.
    const timer = setInterval(() => {
      void alice.entities.put
        .mutate({ id: 'feed', properties: { n: Date.now() } })
        .then((r) => (written ??= r.id));
    }, 50);
    try {
      const event = await firstMatching<{ id: string; data: { id: string; creator: string } }>(
        (handlers) => reader.deltas.stream.subscribe(undefined, handlers),
        (e) => e.data.creator === 'alice',
      );
      expect(event.data.id).toEqual(expect.any(String));
      expect(event.id).toMatch(/^\d+$/); // the local sequence number, to resume from
    } finally {
      clearInterval(timer);
    }
  });
});

describe('restart on the same PGlite data directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rhizome-server-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every delta, schema and view, including a write in flight at shutdown', async () => {
    // A nested path, as on a fresh clone where ./.rhizome-data does not exist yet.
    const config = testConfig({ RHIZOME_DATA_DIR: join(dir, 'nested', 'pglite') });
    const first = await startServer(config, { logger: silentLogger });
    const alice = createClient({ url: first.url, token: TOKENS.alice });
    const admin = createClient({ url: first.url, token: TOKENS.admin });
    await admin.schemas.put.mutate({
      name: 'note',
      schema: { properties: { text: { kind: 'string', resolver: 'lww' } } },
    });
    await alice.entities.put.mutate({ id: 'n1', properties: { text: 'before restart' } });
    const aliceP = { creator: 'alice', scopes: new Set(['read', 'write'] as const), open: false };
    const inFlight = first.node.write([setDelta('n2', 'text', 'in flight')], aliceP);
    await first.close();
    expect(await inFlight).toEqual([{ id: expect.any(String), status: 'stored' }]);

    const second = await startServer(config, { logger: silentLogger });
    try {
      const client = createClient({ url: second.url, token: TOKENS.reader });
      expect(await client.entities.get.query({ id: 'n1', schema: 'note' })).toEqual({
        id: 'n1',
        text: 'before restart',
      });
      expect(await client.entities.get.query({ id: 'n2' })).toEqual({
        id: 'n2',
        text: 'in flight',
      });
      expect((await client.node.status.query()).deltas).toBe(3);
    } finally {
      await second.close();
    }
  });
});
