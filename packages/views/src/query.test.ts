import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { assertValidQuery, matchesWhere } from './query.ts';
import { defineSchema, prop } from './schema.ts';
import { createViewStore } from './view-store.ts';

const set = (entity: string, properties: Record<string, unknown>, time = 1) =>
  createDeltaBuilder({ creator: 'c', host: 'h', timeCreated: time })
    .set(entity, properties as never)
    .build();

describe('matchesWhere', () => {
  const view = {
    name: 'Ada Lovelace',
    age: 36,
    tags: ['math', 'poetry'],
    friend: { id: 'b', name: 'Bo' },
  };

  it('evaluates conditions, combinators and one hop through a nested view', () => {
    expect(matchesWhere(view, { name: { startsWith: 'Ada', contains: 'Love' } })).toBe(true);
    expect(matchesWhere(view, { name: { contains: 'love' } })).toBe(false);
    expect(matchesWhere(view, { age: { ne: 36 } })).toBe(false);
    expect(matchesWhere(view, { or: [{ age: { gt: 40 } }, { tags: { eq: 'poetry' } }] })).toBe(
      true,
    );
    expect(
      matchesWhere(view, { not: { or: [{ age: { gt: 40 } }, { tags: { eq: 'poetry' } }] } }),
    ).toBe(false);
    expect(matchesWhere(view, { and: [{ age: { gte: 36 } }, { age: { lte: 36 } }] })).toBe(true);
    expect(
      matchesWhere(view, { 'friend.name': { eq: 'Bo' }, 'friend.id': { in: ['a', 'b'] } }),
    ).toBe(true);
    expect(matchesWhere(view, { 'friend.age': { exists: false } })).toBe(true);
    // Strings compare with strings only; a missing property fails everything but exists: false.
    expect(matchesWhere(view, { age: { gt: '3' } })).toBe(false);
    expect(matchesWhere(view, { missing: { ne: 1 } })).toBe(false);
    expect(matchesWhere(view, { missing: { exists: false } })).toBe(true);
  });

  it('holds an element-wise part when one element satisfies it, and ne when no element equals', () => {
    expect(matchesWhere(view, { tags: { startsWith: 'p' } })).toBe(true);
    expect(matchesWhere(view, { tags: { ne: 'math' } })).toBe(false);
    expect(matchesWhere(view, { tags: { ne: 'art' } })).toBe(true);
    expect(matchesWhere({ tags: [] }, { tags: { exists: true } })).toBe(false);
  });
});

describe('assertValidQuery', () => {
  it('reports the path of the bad part', () => {
    const pathOf = (options: Parameters<typeof assertValidQuery>[0]) => {
      try {
        assertValidQuery(options);
        return undefined;
      } catch (error) {
        expect(error).toMatchObject({ code: 'QUERY_INVALID' });
        return (error as { path: unknown }).path;
      }
    };
    expect(pathOf({ where: { and: [{ a: { eq: 1 } }, { b: { contains: 3 } }] } })).toEqual([
      'where',
      'and',
      1,
      'b',
      'contains',
    ]);
    expect(pathOf({ where: { or: [] } })).toEqual(['where', 'or']);
    expect(pathOf({ orderBy: [{ property: '' }] })).toEqual(['orderBy', 0, 'property']);
    expect(pathOf({ count: 1 })).toEqual(['count']);
    expect(
      pathOf({ where: { not: { a: { exists: true } } }, orderBy: [{ property: 'a' }] }),
    ).toBeUndefined();
  });
});

describe('ViewStore.query with orderBy and count', () => {
  const person = defineSchema({
    name: 'person',
    properties: { name: prop.string(), age: prop.number(), boss: prop.reference('person') },
  });
  const store = createViewStore({ schemas: [person] });
  store.ingestMany([
    set('a', { name: 'Ann', age: 30, boss: { id: 'c' } }),
    set('b', { name: 'Bob', age: 30 }),
    set('c', { name: 'Cy', age: 50 }),
    set('d', { name: 'Di' }),
    set('e', { name: 'Ed', age: 20, boss: { id: 'b' } }),
  ]);

  it('sorts by keys and direction, ties by id, missing values last, paging by keyset cursors', () => {
    const options = {
      orderBy: [{ property: 'age', direction: 'desc' as const }],
      limit: 2,
      count: true,
    };
    const first = store.query(person, options);
    expect(first).toMatchObject({ ids: ['c', 'a'], total: 5 });
    const second = store.query(person, { ...options, cursor: first.nextCursor! });
    expect(second.ids).toEqual(['b', 'e']);
    const third = store.query(person, { ...options, cursor: second.nextCursor! });
    expect(third).toEqual({ ids: ['d'], total: 5 });
    expect(store.query(person, { orderBy: [{ property: 'boss.name' }] }).ids).toEqual([
      'e',
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('rejects a cursor of another order, and a nested key through a property that is no reference', () => {
    const page = store.query(person, { orderBy: [{ property: 'age' }], limit: 1 });
    expect(() =>
      store.query(person, { orderBy: [{ property: 'name' }], cursor: page.nextCursor! }),
    ).toThrow(expect.objectContaining({ code: 'QUERY_INVALID', path: ['cursor'] }));
    expect(() => store.query(person, { where: { 'name.first': { eq: 'A' } } })).toThrow(
      expect.objectContaining({ code: 'QUERY_INVALID', path: ['where', 'name.first'] }),
    );
    expect(() => store.query(person, { orderBy: [{ property: 'boss.boss.name' }] })).toThrow(
      expect.objectContaining({ path: ['orderBy', 0, 'property'] }),
    );
  });
});
