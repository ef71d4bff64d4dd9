import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { eventually, startServerProcess } from './helpers.ts';

// Issue 13 item 3: three server processes (the real entry point) over one PostgreSQL schema. A
// write through any instance reaches every instance's views and subscribers, exactly once, and
// an instance killed with SIGKILL catches up, its raw stream resuming from Last-Event-ID.

const DATABASE_URL = inject('postgres') ?? '';
const schema = `server_instances_${process.pid}_${Date.now()}`;
const running: ChildProcess[] = [];

interface Instance {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
}

afterAll(async () => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (DATABASE_URL === '') return;
  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end();
});

async function start(name: string, storage?: Record<string, string>): Promise<Instance> {
  // The smallest entity cache (1 MiB): what every instance serves comes from storage and appends.
  const instance = await startServerProcess(name, {
    RHIZOME_CACHE_MB: '1',
    ...(storage ?? { DATABASE_URL, RHIZOME_DATABASE_SCHEMA: schema }),
  });
  running.push(instance.child);
  return instance;
}

interface StreamEvent {
  readonly id: string | undefined;
  readonly data: { readonly id: string };
}

/**
 * Reads an SSE stream into `events` until `signal` aborts or the server goes away (the killed
 * instance's streams end that way; what they carried is checked, not how they ended).
 */
function follow(url: string, events: StreamEvent[], signal: AbortSignal, lastEventId?: string) {
  return (async () => {
    const response = await fetch(url, {
      signal,
      headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
    });
    if (!response.ok || response.body === null) throw new Error(`${url}: ${response.status}`);
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        const frames = buffered.split('\n\n');
        buffered = frames.pop() ?? '';
        for (const frame of frames) {
          const fields = Object.fromEntries(
            frame
              .split('\n')
              .filter((line) => /^(id|data|event): /.test(line))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          );
          if (fields.data === undefined || fields.event !== undefined) continue;
          events.push({ id: fields.id, data: JSON.parse(fields.data) as { id: string } });
        }
      }
    } catch {
      // aborted, or the instance was killed
    }
  })();
}

async function put(instance: Instance, entity: string, value: number): Promise<string> {
  const response = await fetch(`${instance.url}/api/entities/${entity}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ properties: { n: value, by: instance.name } }),
  });
  if (!response.ok) throw new Error(`PUT on ${instance.name}: ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

async function view(instance: Instance, entity: string): Promise<unknown> {
  const response = await fetch(`${instance.url}/api/entities/${entity}`);
  return response.status === 200 ? response.json() : response.status;
}

const onceEach = (events: readonly StreamEvent[]) => {
  const ids = events.map((event) => event.data.id);
  expect(new Set(ids).size).toBe(ids.length);
  return new Set(ids);
};

describe.skipIf(DATABASE_URL === '')('three server processes on one PostgreSQL schema', () => {
  it('see each other’s writes in views and subscriptions, once each, and catch up after SIGKILL', async () => {
    // One at a time: the first migrates the schema.
    const a = await start('inst-a');
    const b = await start('inst-b');
    let c = await start('inst-c');
    const instances = [a, b, c];
    const controller = new AbortController();
    const streams = instances.map(() => [] as StreamEvent[]);
    const watches = instances.map(() => [] as StreamEvent[]);
    const readers = instances.flatMap((instance, i) => [
      follow(`${instance.url}/api/deltas/stream`, streams[i]!, controller.signal),
      follow(`${instance.url}/api/entities/shared/watch`, watches[i]!, controller.signal),
    ]);
    try {
      // Let the streams open before writing: they carry deltas stored from now on.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const written = new Set<string>();
      for (let round = 0; round < 10; round++) {
        const ids = await Promise.all(
          instances.map((instance, i) => put(instance, `k${(round + i) % 4}`, round * 3 + i)),
        );
        for (const id of ids) written.add(id);
      }
      written.add(await put(b, 'shared', 1000));

      for (const [i, events] of streams.entries()) {
        await eventually(
          () => (events.length >= written.size ? true : undefined),
          `${instances[i]!.name}'s raw stream to carry all ${written.size} writes`,
        );
        expect(onceEach(events)).toEqual(written);
      }
      for (const [i, events] of watches.entries()) {
        await eventually(
          () =>
            events.some((event) => (event.data as unknown as { n?: number }).n === 1000)
              ? true
              : undefined,
          `${instances[i]!.name}'s watcher of "shared" to hear the write made on inst-b`,
        );
      }
      for (const entity of ['k0', 'k1', 'k2', 'k3', 'shared']) {
        const views = await Promise.all(instances.map((instance) => view(instance, entity)));
        expect(views[1], entity).toEqual(views[0]);
        expect(views[2], entity).toEqual(views[0]);
      }

      // C dies without warning; A and B keep writing; C comes back and resumes its raw stream.
      const lastSeen = streams[2]!.at(-1)!.id!;
      c.child.kill('SIGKILL');
      await new Promise((resolve) => c.child.once('exit', resolve));
      const missed = new Set<string>();
      for (let i = 0; i < 5; i++) {
        missed.add(await put(a, 'after-kill', i));
        missed.add(await put(b, 'after-kill-b', i));
      }
      c = await start('inst-c');
      const resumed: StreamEvent[] = [];
      readers.push(follow(`${c.url}/api/deltas/stream`, resumed, controller.signal, lastSeen));
      await eventually(
        () => (resumed.length >= missed.size ? true : undefined),
        'the restarted instance to replay what it missed',
      );
      expect(onceEach(resumed)).toEqual(missed);
      expect(await view(c, 'after-kill')).toEqual(await view(a, 'after-kill'));
      // And it hears new writes from the others again.
      const fresh = await put(a, 'shared', 2000);
      await eventually(
        () => (resumed.some((event) => event.data.id === fresh) ? true : undefined),
        'a new write on inst-a to reach the restarted inst-c',
      );

      // A node elsewhere (its own PGlite) linked to inst-b only gets inst-a's writes live.
      const dir = await mkdtemp(join(tmpdir(), 'rhizome-instances-'));
      let peer: Instance | undefined;
      try {
        peer = await start('elsewhere', {
          RHIZOME_DATA_DIR: join(dir, 'pglite'),
          RHIZOME_PEERS: `${b.url.replace('http://', 'ws://')}/sync`,
        });
        await eventually(
          async () => ((await view(peer!, 'shared')) as { n?: number }).n === 2000 || undefined,
          'the linked node to catch up',
        );
        const relayed = await put(a, 'relayed', 1);
        await eventually(
          async () =>
            (await fetch(`${peer!.url}/api/deltas/${relayed}`)).status === 200 || undefined,
          'a write on inst-a to reach a peer of inst-b',
        );
      } finally {
        if (peer !== undefined) {
          peer.child.kill('SIGKILL');
          if (peer.child.exitCode === null) await once(peer.child, 'exit');
        }
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      controller.abort();
      await Promise.allSettled(readers);
    }
  }, 120_000);
});
