import { createDeltaBuilder, freezeDelta, Vocabulary, type Delta } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createDeltaIndex } from './delta-index.ts';
import { createVisibility } from './visibility.ts';

const negation = (id: string, target: string, time = 1): Delta =>
  freezeDelta({
    id,
    timeCreated: time,
    creator: 'c',
    host: 'h',
    pointers: [{ localContext: Vocabulary.negates, target: { id: target }, targetContext: Vocabulary.negatedBy }],
  });

describe('visibility', () => {
  it('handles long negation chains without recursion', () => {
    const base = createDeltaBuilder({ creator: 'c', host: 'h', timeCreated: 0 }).set('e', { v: 1 }).build();
    const chain: Delta[] = [base];
    for (let i = 0; i < 20_000; i++) chain.push(negation(`n${i}`, chain[chain.length - 1]!.id, i + 1));
    const index = createDeltaIndex([...chain].reverse());
    expect(createVisibility(index).isVisible(base)).toBe(true); // an even number of negations
    expect(createVisibility(index, { asOf: 19_999 }).isVisible(base)).toBe(false);
  });

  it('terminates on long cycles and hides everything on them, whatever the order', () => {
    const size = 5_000;
    const cycle = Array.from({ length: size }, (_, i) => negation(`c${i}`, `c${(i + 1) % size}`));
    for (const order of [cycle, [...cycle].reverse()]) {
      const index = createDeltaIndex(order);
      const visibility = createVisibility(index);
      expect(cycle.every((delta) => !visibility.isVisible(delta))).toBe(true);
    }
  });

  it('decides a cycle from outside: an unnegated negation of one member settles the rest', () => {
    const a = negation('a', 'b');
    const b = negation('b', 'a');
    const c = negation('c', 'a');
    for (const order of [
      [a, b, c],
      [c, b, a],
      [b, c, a],
    ]) {
      const visibility = createVisibility(createDeltaIndex(order));
      expect([a, b, c].map((d) => visibility.isVisible(d))).toEqual([false, true, true]);
    }
  });

  it('reports transaction state per creator', () => {
    const at = (time: number, creator = 'alice') => createDeltaBuilder({ creator, host: 'h', timeCreated: time });
    const index = createDeltaIndex([
      at(1).declareTransaction('t', 1).build(),
      at(2).set('e', { a: 1 }).inTransaction('t').build(),
      at(3).set('e', { a: 2 }).inTransaction('t').build(),
      at(4, 'bob').set('e', { a: 3 }).inTransaction('t').build(),
    ]);
    expect(createVisibility(index).transactionState('t', 'alice')).toBe('overfull');
    expect(createVisibility(index, { asOf: 2 }).transactionState('t', 'alice')).toBe('complete');
    expect(createVisibility(index, { asOf: 1 }).transactionState('t', 'alice')).toBe('pending');
    expect(createVisibility(index).transactionState('t', 'bob')).toBe('pending');
  });
});
