import { createDeltaBuilder, freezeDelta, type Delta } from '@rhizome/core';
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareValues, isReferenceValue, stableStringify, valueKey, valueOf } from './value.ts';

const build = () => createDeltaBuilder({ creator: 'c', host: 'h', timeCreated: 1 });
const raw = (pointers: Delta['pointers']): Delta =>
  freezeDelta({ id: 'x', timeCreated: 1, creator: 'c', host: 'h', pointers });

describe('valueOf', () => {
  it('takes the primitive of the pointer named after the property', () => {
    const delta = build().set('e', { name: 'Ada', age: 3 }).build();
    expect(valueOf(delta, 'e', 'name')).toBe('Ada');
    expect(valueOf(delta, 'e', 'age')).toBe(3);
  });

  it('ignores the several pointers the builder puts at the entity', () => {
    const delta = build()
      .set('e', { friend: { id: 'f' }, boss: { id: 'b' } })
      .build();
    expect(valueOf(delta, 'e', 'friend')).toEqual({ id: 'f' });
    expect(valueOf(delta, 'e', 'boss')).toEqual({ id: 'b' });
  });

  it('takes the only other reference pointer', () => {
    const delta = build()
      .relate(
        { entity: 'a', property: 'likes', role: 'fan' },
        { entity: 'b', property: 'likedBy', role: 'idol' },
      )
      .build();
    expect(valueOf(delta, 'a', 'likes')).toEqual({ id: 'b' });
    expect(valueOf(delta, 'b', 'likedBy')).toEqual({ id: 'a' });
  });

  it('resolves to a composite of the other pointers otherwise, repeated contexts as arrays', () => {
    const delta = raw([
      { localContext: 'actor', target: { id: 'k' }, targetContext: 'roles' },
      { localContext: 'film', target: { id: 'm' } },
      { localContext: 'film', target: { id: 'n' } },
      { localContext: 'year', target: 1999 },
      { localContext: '_transaction', target: { id: 't' }, targetContext: 'deltas' },
    ]);
    expect(valueOf(delta, 'k', 'roles')).toEqual({ film: [{ id: 'm' }, { id: 'n' }], year: 1999 });
  });

  it('keeps a "__proto__" localContext as data', () => {
    const delta = raw([
      { localContext: 'x', target: { id: 'k' }, targetContext: 'p' },
      { localContext: '__proto__', target: 1 },
      { localContext: 'y', target: 2 },
    ]);
    const value = valueOf(delta, 'k', 'p') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'y']);
  });
});

describe('valueKey', () => {
  it('tells types apart and ignores key order', () => {
    expect(valueKey(1)).not.toBe(valueKey('1'));
    expect(valueKey({ id: 'a' })).toBe('ref:a');
    expect(valueKey({ a: 1, b: 2 })).toBe(valueKey({ b: 2, a: 1 }));
    expect(isReferenceValue({ id: 'a', x: 1 })).toBe(false);
    expect(stableStringify([{ b: 1, a: null }])).toBe('[{"a":null,"b":1}]');
  });
});

describe('compareValues', () => {
  const primitive = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true }),
    fc.integer(),
    fc.string(),
  );
  const reference = fc.string().map((id) => ({ id }));
  const composite = fc.dictionary(fc.string(), fc.oneof(primitive, reference), { minKeys: 2 });
  const value = fc.oneof(primitive, reference, composite);

  it('is a total order consistent with valueKey', () => {
    assertProperty(
      fc.property(value, value, value, (a, b, c) => {
        const sign = (n: number) => Math.sign(n) + 0;
        expect(sign(compareValues(a, b))).toBe(sign(-compareValues(b, a)));
        expect(compareValues(a, b) === 0).toBe(valueKey(a) === valueKey(b));
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0)
          expect(compareValues(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('orders numbers numerically and types as documented', () => {
    expect(compareValues(100, 20)).toBeGreaterThan(0);
    expect(compareValues(-1, 0.5)).toBeLessThan(0);
    const ascending = [
      null,
      false,
      true,
      -3,
      2,
      10,
      '',
      '10',
      'a',
      { id: '' },
      { id: 'b' },
      { a: 1, b: 2 },
    ];
    expect([...ascending].reverse().sort(compareValues)).toEqual(ascending);
  });
});
