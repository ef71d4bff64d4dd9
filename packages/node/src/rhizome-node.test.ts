import { createMemoryStore, type DeltaStore } from '@rhizome/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenPrincipal } from './principal.ts';
import { createRhizomeNode, type RhizomeNode } from './rhizome-node.ts';

const open = createOpenPrincipal();
let node: RhizomeNode | undefined;
afterEach(async () => {
  await node?.close();
});

describe('createRhizomeNode', () => {
  it('rebuilds views from the store it opens', async () => {
    const store = createMemoryStore();
    const first = await createRhizomeNode({ store, nodeId: 'n' });
    await first.putProperties('ada', { name: 'Ada' }, open);
    // A second node over the same (still open) store sees what the first wrote.
    node = await createRhizomeNode({ store, nodeId: 'n' });
    expect(await node.view('ada')).toEqual({ id: 'ada', name: 'Ada' });
  });

  it('notifies a schema subscriber only when the resolved value changes', async () => {
    node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n' });
    await node.putSchema(
      'person',
      {
        properties: {
          name: { kind: 'string', resolver: 'lww' },
          age: { kind: 'number', resolver: 'max' },
        },
      },
      open,
    );
    await node.putProperties('ada', { age: 40 }, open);
    const controller = new AbortController();
    const views = node.watchEntity('ada', { schema: 'person' }, controller.signal);
    expect((await views.next()).value).toEqual({ id: 'ada', age: 40 });
    await node.putProperties('ada', { age: 30 }, open); // max stays 40: no update
    await node.putProperties('ada', { name: 'Ada' }, open);
    expect((await views.next()).value).toEqual({ id: 'ada', age: 40, name: 'Ada' });
    controller.abort();
  });

  it('answers a write before its watchers hear, then gives them all the same newest view', async () => {
    node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n' });
    await node.putProperties('ada', { n: 0 }, open);
    const controller = new AbortController();
    const watchers = Array.from({ length: 50 }, () =>
      node!.watchEntity('ada', {}, controller.signal),
    );
    for (const watcher of watchers)
      expect((await watcher.next()).value).toEqual({ id: 'ada', n: 0 });
    const pending = watchers.map((watcher) => watcher.next());
    const order: string[] = [];
    void pending[0]!.then(() => order.push('watcher'));
    const first = node.putProperties('ada', { n: 1 }, open);
    const second = node.putProperties('ada', { n: 2 }, open); // same group: watchers get only n: 2
    await first;
    order.push('write');
    await second;
    const heard = (await Promise.all(pending)).map((next) => next.value);
    expect(order).toEqual(['write', 'watcher']);
    expect(heard[0]).toEqual({ id: 'ada', n: 2 });
    expect(new Set(heard).size).toBe(1);
    controller.abort();
  });

  it('delivers the last writes to watchers before closing', async () => {
    node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n' });
    const watcher = node.watchEntity('ada', {});
    expect((await watcher.next()).value).toEqual({ id: 'ada' });
    const write = node.putProperties('ada', { n: 1 }, open);
    await node.close();
    await write;
    expect((await watcher.next()).value).toEqual({ id: 'ada', n: 1 });
    expect((await watcher.next()).done).toBe(true);
    node = undefined;
  });

  it('drops a raw-stream subscriber that falls too far behind, and counts it', async () => {
    node = await createRhizomeNode({
      store: createMemoryStore(),
      nodeId: 'n',
      streamBufferSize: 2,
    });
    const stream = node.watchDeltas();
    const first = stream.next();
    for (const n of [1, 2, 3, 4]) await node.putProperties('x', { n }, open);
    expect((await first).done).toBe(false);
    await expect(stream.next()).rejects.toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
    expect(node.stats().subscribersDropped).toBe(1);
    expect(node.stats().subscriptions).toBe(0);
  });

  it('serialises concurrent writes and finishes them before closing', async () => {
    const store = createMemoryStore();
    node = await createRhizomeNode({ store, nodeId: 'n' });
    const writes = [1, 2, 3, 4, 5].map((n) => node!.putProperties(`e${n}`, { n }, open));
    const closing = node.close();
    expect((await Promise.all(writes)).every((r) => r.status === 'stored')).toBe(true);
    await closing;
    await expect(node.putProperties('late', { n: 0 }, open)).rejects.toMatchObject({
      code: 'NODE_UNAVAILABLE',
    });
    node = undefined;
  });
});

describe('group commit', () => {
  /** A memory store that records the size of every append and can be told to fail the next one. */
  const createRecordingStore = () => {
    const inner = createMemoryStore();
    const appends: number[] = [];
    let failNext = false;
    const store: DeltaStore = {
      ...inner,
      async append(deltas) {
        appends.push(deltas.length);
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('disk full'), { code: 'STORAGE_FAILED' });
        }
        return inner.append(deltas);
      },
    };
    return { store, appends, failOnce: () => (failNext = true) };
  };
  const pointersFor = (entity: string) => [
    { localContext: 'entity', target: { id: entity }, targetContext: 'n' },
    { localContext: 'n', target: 1 },
  ];

  it('stores concurrent writes as one append, with results as if they ran in order', async () => {
    const { store, appends } = createRecordingStore();
    node = await createRhizomeNode({ store, nodeId: 'n' });
    expect((await node.putProperties('e0', { n: 0 }, open)).status).toBe('stored'); // alone
    const first = node.putProperties('e4', { n: 4 }, open);
    const same = { timeCreated: 5, pointers: pointersFor('twin') };
    const grouped = [
      node.write([same], open),
      ...[1, 2, 3].map((n) => node!.putProperties(`e${n}`, { n }, open)),
      node.write([same], open), // the same delta again, later in the same group
    ];
    expect((await first).status).toBe('stored');
    const results = await Promise.all(grouped);
    expect(appends).toEqual([1, 6]); // everything issued in one tick went as one append
    expect(results[0]).toEqual([{ id: expect.any(String), status: 'stored' }]);
    expect(results[4]).toEqual([
      { id: (results[0] as { id: string }[])[0]!.id, status: 'duplicate' },
    ]);
    expect(results.slice(1, 4).every((r) => (r as { status: string }).status === 'stored')).toBe(
      true,
    );
    expect(await node.view('e3')).toEqual({ id: 'e3', n: 3 });
    expect(node.stats()).toMatchObject({ deltasStored: 6, deltasDuplicate: 1, writeBatches: 2 });
  });

  it('fails every write of a failed group, applies none of them, and goes on with the next', async () => {
    const { store, appends, failOnce } = createRecordingStore();
    node = await createRhizomeNode({ store, nodeId: 'n' });
    expect((await node.putProperties('first', { n: 1 }, open)).status).toBe('stored');
    failOnce();
    const doomed = [
      node.putProperties('a', { n: 1 }, open),
      node.putProperties('b', { n: 2 }, open),
    ];
    for (const write of doomed) await expect(write).rejects.toThrow('disk full');
    expect(appends).toEqual([1, 2]);
    await expect(node.view('a')).rejects.toThrow('no visible delta');
    expect((await store.counts()).deltas).toBe(1); // only the write before the failed group
    expect((await node.putProperties('a', { n: 3 }, open)).status).toBe('stored');
    expect(await node.view('a')).toEqual({ id: 'a', n: 3 });
  });
});

describe('watchQuery', () => {
  const person = {
    properties: {
      name: { kind: 'string', resolver: 'lww' },
      age: { kind: 'number', resolver: 'lww' },
    },
  };

  it('yields the first page, then a new page only when a write changes it', async () => {
    node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n' });
    await node.putSchema('person', person, open);
    await node.putProperties('a', { name: 'A', age: 20 }, open);
    const controller = new AbortController();
    const pages = node.watchQuery(
      { schema: 'person', where: { age: { gte: 30 } } },
      controller.signal,
    );
    expect((await pages.next()).value).toEqual({ entities: [], cursor: null });
    await node.putProperties('unrelated', { colour: 'red' }, open); // no change: no page
    await node.putProperties('b', { name: 'B', age: 40 }, open);
    expect((await pages.next()).value).toEqual({
      entities: [{ id: 'b', name: 'B', age: 40 }],
      cursor: null,
    });
    controller.abort();
    expect((await pages.next()).done).toBe(true);
  });

  it('caps the number of open query subscriptions', async () => {
    node = await createRhizomeNode({
      store: createMemoryStore(),
      nodeId: 'n',
      maxQuerySubscriptions: 1,
    });
    await node.putSchema('person', person, open);
    const first = node.watchQuery({ schema: 'person' });
    await first.next();
    await expect(node.watchQuery({ schema: 'person' }).next()).rejects.toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
    });
    await first.return(undefined);
    await expect(node.watchQuery({ schema: 'person' }).next()).resolves.toMatchObject({
      done: false,
    });
  });
});
