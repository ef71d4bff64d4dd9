import { createMemoryStore } from '@rhizome/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenPrincipal } from './principal.ts';
import { createRhizomeNode, type RhizomeNode } from './rhizome-node.ts';

const open = createOpenPrincipal();
let node: RhizomeNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

const setN = (entity: string, n: number) => ({
  pointers: [
    { localContext: 'entity', target: { id: entity }, targetContext: 'n' },
    { localContext: 'n', target: n },
  ],
});

const batchOf = (size: number, from = 0) =>
  Array.from({ length: size }, (_, i) => setN(`e${(from + i) % 13}`, from + i));

describe('raw-stream subscribers that fall behind', () => {
  it('are counted and detached when the write overflows them, not on their next read', async () => {
    node = await createRhizomeNode({
      store: createMemoryStore(),
      nodeId: 'n',
      streamBufferSize: 3,
    });
    const drops: unknown[] = [];
    const stream = node.streamDeltas({ onDropped: (error) => drops.push(error) });
    const first = stream.next();
    await node.putProperties('x', { n: 0 }, open);
    expect((await first).done).toBe(false);
    // Stuck like a transport blocked in a socket write: it never asks for the next delta.
    for (let n = 1; n <= 3; n++) await node.putProperties('x', { n }, open);
    expect(node.stats().subscribersDropped).toBe(0);
    expect(drops).toEqual([]);
    await node.putProperties('x', { n: 4 }, open);
    expect(node.stats().subscribersDropped).toBe(1);
    expect(drops).toMatchObject([{ code: 'SUBSCRIBER_TOO_SLOW' }]);
    expect(node.stats().subscriptions).toBe(0);
    // Whoever reads it later learns why, and nothing is counted twice.
    await expect(stream.next()).rejects.toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
    expect(node.stats().subscribersDropped).toBe(1);
  });

  it('take a write larger than the buffer whole when they had kept up', async () => {
    node = await createRhizomeNode({
      store: createMemoryStore(),
      nodeId: 'n',
      streamBufferSize: 10,
    });
    const stream = node.streamDeltas({});
    const pending = stream.next();
    await node.write(batchOf(250), open, { batch: true });
    const received = [(await pending).value!];
    for (let i = 1; i < 250; i++) received.push((await stream.next()).value!);
    expect(received.map((entry) => entry.seq)).toEqual(
      Array.from({ length: 250 }, (_, i) => received[0]!.seq + i),
    );
    await node.write(batchOf(250, 250), open, { batch: true });
    for (let i = 0; i < 250; i++) expect((await stream.next()).done).toBe(false);
    expect(node.stats().subscribersDropped).toBe(0);
    await stream.return(undefined);
  });

  it('are dropped when a write arrives while a whole buffer is still unread', async () => {
    node = await createRhizomeNode({
      store: createMemoryStore(),
      nodeId: 'n',
      streamBufferSize: 10,
    });
    const stream = node.streamDeltas({});
    const pending = stream.next();
    await node.write(batchOf(250), open, { batch: true });
    await pending;
    for (let i = 1; i < 240; i++) await stream.next(); // 10 still unread
    await node.write(batchOf(5, 250), open, { batch: true });
    expect(node.stats().subscribersDropped).toBe(1);
    await expect(stream.next()).rejects.toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
  });

  it('never drops entity-view watchers: they see the newest view', async () => {
    node = await createRhizomeNode({
      store: createMemoryStore(),
      nodeId: 'n',
      streamBufferSize: 1,
    });
    const watcher = node.watchEntity('e0', {});
    expect((await watcher.next()).value).toEqual({ id: 'e0' });
    for (let round = 0; round < 5; round++)
      await node.write(batchOf(26, round * 26), open, { batch: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await watcher.next()).value).toMatchObject({ id: 'e0' });
    expect(node.stats().subscribersDropped).toBe(0);
    await watcher.return(undefined);
  });
});
