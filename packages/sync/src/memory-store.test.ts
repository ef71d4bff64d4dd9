import { describe, expect, it } from 'vitest';
import { generateDeltas } from '../test/fixtures.ts';
import { createMemorySyncStore } from './memory-store.ts';

describe('createMemorySyncStore', () => {
  it('numbers new deltas, ignores ones it holds and tells listeners once per append', async () => {
    const store = createMemorySyncStore({ feedId: 'f' });
    const deltas = generateDeltas(5, 1);
    const heard: number[][] = [];
    store.onAppend((entries) => heard.push(entries.map((entry) => entry.seq)));
    expect(await store.appendBatch(deltas.slice(0, 3))).toEqual(deltas.slice(0, 3).map((d) => d.id));
    expect(await store.appendBatch(deltas, { origin: 'peer' })).toEqual(deltas.slice(3).map((d) => d.id));
    expect(await store.appendBatch(deltas)).toEqual([]);
    expect(heard).toEqual([[1, 2, 3], [4, 5]]);
    expect(await store.head()).toBe(5);
    const changes = await store.changesSince(2, 2);
    expect(changes.map((entry) => [entry.seq, entry.origin])).toEqual([[3, undefined], [4, 'peer']]);
  });

  it('lists ids in sorted order within bounds', async () => {
    const store = createMemorySyncStore();
    const deltas = generateDeltas(50, 2);
    await store.appendBatch(deltas);
    const sorted = deltas.map((d) => d.id).sort();
    expect(await store.listIds()).toEqual(sorted);
    expect(await store.listIds(sorted[10], sorted[20])).toEqual(sorted.slice(10, 20));
    const prefix = sorted[7]!.slice(0, 12);
    expect(await store.listIds(prefix, `${prefix}~`)).toEqual([sorted[7]]);
  });
});
