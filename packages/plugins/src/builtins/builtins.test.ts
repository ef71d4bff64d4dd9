import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createReplica, negate, set } from '../../test/support/deltas.ts';
import { createCustomResolver } from '../custom-resolver.ts';
import type { ResolverPlugin } from '../types.ts';
import { average } from './average.ts';
import { concatenation } from './concatenation.ts';
import { count } from './count.ts';
import { addToPartials, roundPartials } from './exact-sum.ts';
import { max, min } from './extreme.ts';
import { firstWriteWins, lastWriteWins } from './last-write-wins.ts';
import { majority } from './majority.ts';

const resolveWith = (plugin: ResolverPlugin, values: unknown[]) =>
  createCustomResolver([plugin]).resolve(
    'e',
    values.map((value, index) => set(index + 1, 'e', { v: value as never })),
  )['v'];

describe('built-in plugins', () => {
  it('last-write-wins and first-write-wins pick by (timeCreated, id)', () => {
    expect(resolveWith(lastWriteWins({ property: 'v' }), ['a', 'b', 'c'])).toBe('c');
    expect(resolveWith(firstWriteWins({ property: 'v' }), ['a', 'b', 'c'])).toBe('a');
  });

  it('concatenation joins in time order with the separator', () => {
    expect(resolveWith(concatenation({ property: 'v' }), ['a', 2, 'c'])).toBe('a 2 c');
    expect(resolveWith(concatenation({ property: 'v', separator: '' }), ['a', 'b'])).toBe('ab');
  });

  it('majority picks the most asserted value and breaks ties by the earliest delta', () => {
    expect(resolveWith(majority({ property: 'v' }), ['x', 'y', 'y'])).toBe('y');
    expect(resolveWith(majority({ property: 'v' }), ['y', 'x', 'x', 'y'])).toBe('y');
  });

  it('min, max and average skip non-numeric values', () => {
    const values = [3, 'nine', 7, null, 2];
    expect(resolveWith(min({ property: 'v' }), values)).toBe(2);
    expect(resolveWith(max({ property: 'v' }), values)).toBe(7);
    expect(resolveWith(average({ property: 'v' }), values)).toBe(4);
  });

  it('max can track another property of the winning delta', () => {
    const bid = (time: number, amount: number, bidder: string) =>
      createDeltaBuilder({ creator: bidder, host: 'h', timeCreated: time })
        .set('auction', { amount })
        .pointer({ localContext: 'bidder', target: bidder })
        .build();
    const resolver = createCustomResolver([max({ property: 'amount', tracking: 'bidder' })]);
    expect(
      resolver.resolve('auction', [bid(1, 100, 'ann'), bid(2, 120, 'bob'), bid(3, 120, 'cy')]),
    ).toEqual({
      amount: { value: 120, bidder: 'bob' },
    });
  });

  it('count counts visible deltas', () => {
    expect(resolveWith(count({ property: 'v' }), ['a', 'a', 1])).toBe(3);
  });

  it('gives undefined, never an empty string, for an unset property (count gives 0)', () => {
    const view = createCustomResolver([
      lastWriteWins({ property: 'a' }),
      firstWriteWins({ property: 'b' }),
      concatenation({ property: 'c' }),
      majority({ property: 'd' }),
      min({ property: 'e' }),
      max({ property: 'f', tracking: 'who' }),
      average({ property: 'g' }),
      count({ property: 'h' }),
    ]).resolve('x', [set(1, 'x', { other: 1 })]);
    expect(view).toEqual({
      a: undefined,
      b: undefined,
      c: undefined,
      d: undefined,
      e: undefined,
      f: undefined,
      g: undefined,
      h: 0,
    });
  });

  it('sums exactly, so order cannot change an average', () => {
    const values = [0.1, 0.2, 0.3, 1e16, -1e16, 1e-3];
    const forwards: number[] = [];
    const backwards: number[] = [];
    for (const value of values) addToPartials(forwards, value);
    for (const value of [...values].reverse()) addToPartials(backwards, value);
    expect(roundPartials(forwards)).toBe(roundPartials(backwards));
    expect(roundPartials(forwards)).toBe(0.601);
    for (const value of values) addToPartials(forwards, -value);
    expect(roundPartials(forwards)).toBe(0);
  });
});

describe('negation under each built-in plugin', () => {
  const cases: [string, ResolverPlugin, unknown[], number, unknown, unknown][] = [
    // plugin, values at times 1..n, index of the delta to negate, view before, view after
    ['last-write-wins', lastWriteWins({ property: 'v' }), ['a', 'b'], 1, 'b', 'a'],
    ['first-write-wins', firstWriteWins({ property: 'v' }), ['a', 'b'], 0, 'a', 'b'],
    ['concatenation', concatenation({ property: 'v' }), ['a', 'b', 'c'], 1, 'a b c', 'a c'],
    ['majority', majority({ property: 'v' }), ['x', 'y', 'y'], 2, 'y', 'x'],
    ['min', min({ property: 'v' }), [5, 1, 3], 1, 1, 3],
    ['max', max({ property: 'v' }), [5, 9, 3], 1, 9, 5],
    ['average', average({ property: 'v' }), [2, 4, 9], 2, 5, 3],
    ['count', count({ property: 'v' }), ['a', 'b'], 0, 2, 1],
  ];

  it.each(cases)(
    '%s drops a negated delta and restores it when the negation is negated',
    (_name, plugin, values, index, before, after) => {
      const deltas = values.map((value, i) => set(i + 1, 'e', { v: value as never }));
      const replica = createReplica(createCustomResolver([plugin]), 'e');
      replica.receive(...deltas);
      expect(replica.view()['v']).toEqual(before);
      const negation = negate(10, deltas[index]!);
      replica.receive(negation);
      expect(replica.view()['v']).toEqual(after);
      replica.receive(negate(11, negation));
      expect(replica.view()['v']).toEqual(before);
    },
  );

  it.each(cases)(
    '%s ends the same when the negation arrives before its target',
    (_name, plugin, values, index, _before, after) => {
      const deltas = values.map((value, i) => set(i + 1, 'e', { v: value as never }));
      const replica = createReplica(createCustomResolver([plugin]), 'e');
      replica.receive(negate(10, deltas[index]!));
      for (const delta of [...deltas].reverse()) replica.receive(delta);
      expect(replica.view()['v']).toEqual(after);
    },
  );
});
