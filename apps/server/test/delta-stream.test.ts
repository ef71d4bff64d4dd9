import { createClient } from '@rhizome/client';
import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { silentLogger, testConfig, TOKENS } from './helpers.ts';

interface StreamEvent {
  readonly id: string;
  readonly data: { readonly id: string };
}

/** Subscribes to the raw stream and collects events until `count` arrived, then unsubscribes. */
function collect(
  client: ReturnType<typeof createClient>,
  input: { lastEventId?: string } | undefined,
  count: number,
  onStarted: () => void = () => {},
): Promise<StreamEvent[]> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const subscription = client.deltas.stream.subscribe(input, {
      onStarted,
      onData(event) {
        events.push(event);
        if (events.length < count) return;
        subscription.unsubscribe();
        resolve(events);
      },
      onError: reject,
    });
  });
}

describe('deltas.stream over a real socket: resumable with lastEventId', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(testConfig(), { logger: silentLogger, store: createMemoryStore() });
  });
  afterAll(async () => {
    await server.close();
  });

  it('replays exactly the deltas stored while disconnected, then continues live', async () => {
    const reader = createClient({ url: server.url, token: TOKENS.reader });
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    const put = async (n: number) =>
      (await alice.entities.put.mutate({ id: 'feed', properties: { n } })).id;

    const written: string[] = [];
    const first = await collect(reader, undefined, 3, () => {
      void (async () => {
        for (const n of [1, 2, 3]) written.push(await put(n));
      })();
    });
    expect(first.map((event) => event.data.id)).toEqual(written);
    const ids = first.map((event) => Number(event.id));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);

    // Disconnected: the node stores four more.
    const missed: string[] = [];
    for (const n of [4, 5, 6, 7]) missed.push(await put(n));

    let live: string | undefined;
    const resumed = await collect(reader, { lastEventId: first.at(-1)!.id }, 5, () => {
      void put(8).then((id) => (live = id));
    });
    expect(resumed.slice(0, 4).map((event) => event.data.id)).toEqual(missed);
    expect(resumed[4]!.data.id).toBe(live);
    const all = [...first, ...resumed].map((event) => Number(event.id));
    expect(new Set(all).size).toBe(all.length);

    // The event ids are the feed's cursors: GET /api/deltas?after=<id> continues from the same place.
    const page = await fetch(`${server.url}/api/deltas?after=${first.at(-1)!.id}`, {
      headers: { authorization: `Bearer ${TOKENS.reader}` },
    });
    const body = (await page.json()) as { deltas: { id: string }[] };
    expect(body.deltas.map((delta) => delta.id)).toEqual([...missed, live]);
  });

  it('refuses a lastEventId that is not a sequence number', async () => {
    const reader = createClient({ url: server.url, token: TOKENS.reader });
    const error = await collect(reader, { lastEventId: 'yesterday' }, 1).catch((e: unknown) => e);
    expect(error).toMatchObject({
      data: { httpStatus: 400, rhizome: { code: 'INVALID_REQUEST' } },
    });
  });
});
