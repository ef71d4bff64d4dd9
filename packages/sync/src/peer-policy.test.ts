import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { admitDeltas } from './admit-deltas.ts';
import { createMemorySyncStore } from './memory-store.ts';

const build = (creator: string, entity: string, time: number) =>
  createDeltaBuilder({ creator, host: 'h', timeCreated: time }).set(entity, { p: 1 }).build();

describe('admitDeltas', () => {
  it('admits everything under an empty policy', async () => {
    const deltas = [build('a', 'x', 1), build('b', '_schema:S', 2)];
    const { admitted, refused } = await admitDeltas({}, deltas, createMemorySyncStore());
    expect(admitted).toEqual(deltas);
    expect(refused).toEqual([]);
  });

  it('looks up the creators of negated deltas held in the store', async () => {
    const store = createMemorySyncStore();
    const theirs = build('b', 'x', 1);
    const mine = build('a', 'x', 2);
    await store.appendBatch([theirs, mine]);
    const undoTheirs = createDeltaBuilder({ creator: 'a', host: 'h', timeCreated: 3 })
      .negate(theirs.id)
      .build();
    const undoMine = createDeltaBuilder({ creator: 'a', host: 'h', timeCreated: 4 })
      .negate(mine.id)
      .build();
    const { admitted, refused } = await admitDeltas(
      { negateOthers: false },
      [undoTheirs, undoMine],
      store,
    );
    expect(admitted).toEqual([undoMine]);
    expect(refused.map((entry) => entry.reason)).toEqual([
      'negates a delta of "b", another creator',
    ]);
  });
});
