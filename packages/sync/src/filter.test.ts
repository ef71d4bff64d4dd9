import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { computeFilterKey, deltaFilterSchema, listNegatedIds, matchesFilter } from './filter.ts';
import { createMemorySyncStore } from './memory-store.ts';

const builder = (creator = 'alice', host = 'h1') => createDeltaBuilder({ creator, host, timeCreated: 1 });

describe('delta filters', () => {
  const onE1 = builder().set('e1', { name: 'x' }).build();
  const byBob = builder('bob', 'h2').set('e2', { name: 'y' }).build();
  const negation = builder().negate(onE1.id).build();

  it('match on entities (not through negation pointers), creators and hosts, all given fields together', () => {
    expect(matchesFilter({ entities: ['e1'] }, onE1)).toBe(true);
    expect(matchesFilter({ entities: ['e1'] }, byBob)).toBe(false);
    expect(matchesFilter({ entities: [onE1.id] }, negation)).toBe(false);
    expect(matchesFilter({ creators: ['bob'] }, byBob)).toBe(true);
    expect(matchesFilter({ creators: ['bob'], hosts: ['h1'] }, byBob)).toBe(false);
    expect(matchesFilter({}, byBob)).toBe(true);
    expect(listNegatedIds(negation)).toEqual([onE1.id]);
  });

  it('have a key that ignores order and repetition, and a strict schema', () => {
    expect(computeFilterKey({ entities: ['b', 'a', 'a'] })).toBe(computeFilterKey({ entities: ['a', 'b'] }));
    expect(computeFilterKey(undefined)).toBe('');
    // Own hosts change what is sent (negations of own deltas), so they are part of the key.
    expect(computeFilterKey({ entities: ['a'], ownHosts: ['h'] })).not.toBe(computeFilterKey({ entities: ['a'] }));
    expect(deltaFilterSchema.safeParse({ entities: ['a'], other: 1 }).success).toBe(false);
  });

  it('are served from the memory store index of negations by target', async () => {
    const store = createMemorySyncStore();
    const second = builder('carol').negate(negation.id).build();
    await store.appendBatch([second, onE1, negation]);
    expect(await store.negationsOf!([onE1.id])).toEqual([negation.id]);
    expect(await store.negationsOf!([negation.id, byBob.id])).toEqual([second.id]);
  });
});
