import { createCustomResolver } from '@rhizome/plugins';
import { describe, expect, it } from 'vitest';
import {
  counterChange,
  createReplica,
  negate,
  permutations,
  resolveFromScratch,
  setAdd,
} from '../test/support/deltas.ts';
import { orSet } from './or-set.ts';
import { pnCounter } from './pn-counter.ts';

describe('pn-counter', () => {
  const resolver = () => createCustomResolver([pnCounter({ property: 'n' })]);

  it('adds increments and decrements; an untouched counter is 0', () => {
    expect(resolver().resolve('c', [])).toEqual({ n: 0 });
    const deltas = [
      counterChange(1, 'ann', 5),
      counterChange(2, 'bob', -2),
      counterChange(3, 'ann', 1),
    ];
    expect(resolveFromScratch(resolver(), 'c', deltas)).toEqual({ n: 4 });
  });

  it('takes a negated change back out, in every delivery order', () => {
    const plus = counterChange(1, 'ann', 5);
    const minus = counterChange(2, 'bob', -2);
    const undo = negate(3, plus, 'bob');
    for (const order of permutations([plus, minus, undo])) {
      const replica = createReplica(resolver(), 'c');
      for (const delta of order) replica.receive(delta);
      expect(replica.view()).toEqual({ n: -2 });
    }
  });

  it('skips non-integer amounts', () => {
    expect(
      resolveFromScratch(resolver(), 'c', [
        counterChange(1, 'ann', 1.5),
        counterChange(2, 'ann', 2),
      ]),
    ).toEqual({ n: 2 });
  });
});

describe('observed-remove set', () => {
  const resolver = () => createCustomResolver([orSet({ property: 'tags' })]);

  it('holds added elements once, ordered by their first add', () => {
    const deltas = [setAdd(2, 'ann', 'b'), setAdd(1, 'bob', 'a'), setAdd(3, 'bob', 'b')];
    expect(resolveFromScratch(resolver(), 's', deltas)).toEqual({ tags: ['a', 'b'] });
  });

  it('removes an element by negating the observed adds; a concurrent add survives', () => {
    const annAdd = setAdd(1, 'ann', 'x');
    const removeObserved = negate(2, annAdd, 'ann');
    const bobConcurrentAdd = setAdd(2, 'bob', 'x');
    for (const order of permutations([annAdd, removeObserved, bobConcurrentAdd])) {
      const replica = createReplica(resolver(), 's');
      for (const delta of order) replica.receive(delta);
      expect(replica.view()).toEqual({ tags: ['x'] });
    }
    expect(resolveFromScratch(resolver(), 's', [annAdd, removeObserved])).toEqual({ tags: [] });
  });
});
