import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { describe, expect, it, vi } from 'vitest';
import { defineSchema, prop } from './schema.ts';
import type { EntityResolver, EntityResolverChange, EntityResolverInput, Resolver } from './types.ts';
import { createViewStore } from './view-store.ts';

const at = (time: number, creator = 'alice') => createDeltaBuilder({ creator, host: 'h', timeCreated: time });
const person = defineSchema({
  name: 'person',
  properties: {
    name: prop.string(),
    age: prop.number({ resolver: 'max' }),
    friends: prop.references('person', { depth: 1 }),
  },
});

describe('view cache', () => {
  it('serves hot reads from the cache and recomputes only after a relevant delta', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingest(at(1).set('a', { name: 'A' }).build());
    const first = store.resolve(person, 'a');
    expect(store.resolve(person, 'a')).toBe(first);
    store.ingest(at(2).set('b', { name: 'B' }).build());
    expect(store.resolve(person, 'a')).toBe(first);
    store.ingest(at(3).set('a', { age: 3 }).build());
    expect(store.resolve(person, 'a')).toEqual({ name: 'A', age: 3, friends: [] });
  });

  it('follows negations and completing transactions into the cache', () => {
    const store = createViewStore();
    const value = at(1).set('a', { name: 'A' }).build();
    store.ingest(value);
    expect(store.view('a')).toEqual({ name: 'A' });
    const negation = at(2).negate(value.id).build();
    store.ingest(negation);
    expect(store.view('a')).toEqual({});
    store.ingest(at(3).negate(negation.id).build());
    expect(store.view('a')).toEqual({ name: 'A' });
    store.ingest(at(4).set('a', { name: 'T' }).inTransaction('tx').build());
    expect(store.view('a')).toEqual({ name: 'A' });
    store.ingest(at(5).declareTransaction('tx', 1).build());
    expect(store.view('a')).toEqual({ name: 'T' });
  });

  it('views are frozen so callers cannot corrupt the cache', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingest(at(1).relate({ entity: 'a', property: 'friends' }, { entity: 'b', property: 'friends' }).build());
    const view = store.resolve(person, 'a');
    expect(Object.isFrozen(view)).toBe(true);
    expect(Object.isFrozen(view.friends)).toBe(true);
  });
});

describe('subscriptions', () => {
  it('call back only when the resolved view changes', () => {
    const store = createViewStore({ schemas: [person] });
    const listener = vi.fn();
    store.subscribe('a', listener, { schema: person });
    store.ingest(at(5).set('a', { name: 'A' }).build());
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenLastCalledWith({ name: 'A', friends: [] }, 'a');
    store.ingest(at(1).set('a', { name: 'older' }).build()); // loses last-write-wins: no change
    store.ingest(at(6).set('z', { name: 'Z' }).build()); // another entity
    expect(listener).toHaveBeenCalledTimes(1);
    store.ingestMany([at(7).set('a', { age: 1 }).build(), at(8).set('a', { age: 2 }).build()]);
    expect(listener).toHaveBeenCalledTimes(2);
    expect(listener).toHaveBeenLastCalledWith({ name: 'A', age: 2, friends: [] }, 'a');
  });

  it('hear about changes of nested entities, and stop after unsubscribe', () => {
    const store = createViewStore({ schemas: [person] });
    const listener = vi.fn();
    const unsubscribe = store.subscribe('a', listener, { schema: person });
    store.ingest(at(1).relate({ entity: 'a', property: 'friends' }, { entity: 'b', property: 'friends' }).build());
    store.ingest(at(2).set('b', { name: 'B' }).build());
    expect(listener).toHaveBeenLastCalledWith({ friends: [{ id: 'b', name: 'B', friends: [{ id: 'a' }] }] }, 'a');
    unsubscribe();
    store.ingest(at(3).set('b', { name: 'BB' }).build());
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('schemaless subscriptions see every property', () => {
    const store = createViewStore();
    const seen: unknown[] = [];
    store.subscribe('a', (view) => seen.push(view));
    store.ingest(at(1).set('a', { x: 1 }).build());
    expect(seen).toEqual([{ x: 1 }]);
  });
});

describe('entity resolvers', () => {
  it('receive visible deltas by property and may update incrementally', () => {
    const resolve = vi.fn((input: EntityResolverInput) => {
      const out: Record<string, number> = {};
      for (const [property, deltas] of input.properties) out[property] = deltas.length;
      return out;
    });
    const update = vi.fn((previous: Record<string, number>, change: EntityResolverChange) => {
      const out = { ...previous };
      for (const [property, deltas] of change.added) out[property] = (out[property] ?? 0) + deltas.length;
      for (const [property, deltas] of change.removed) {
        out[property] = (out[property] ?? 0) - deltas.length;
        if (out[property] === 0) delete out[property];
      }
      return out;
    });
    const counter: EntityResolver<Record<string, number>> = { name: 'counter', resolve, update };
    const schema = defineSchema({ name: 'counted', properties: {}, entityResolver: counter });
    const store = createViewStore();
    const first = at(1).set('a', { x: 1, y: 2 }).build();
    store.ingest(first);
    expect(store.resolve(schema, 'a')).toEqual({ x: 1, y: 1 });
    store.ingest(at(2).set('a', { x: 3 }).build());
    store.ingest(at(3).negate(first.id).build());
    expect(store.resolve(schema, 'a')).toEqual({ x: 1 });
    expect(update).toHaveBeenCalledTimes(1);
    expect(resolve).toHaveBeenCalledTimes(1);
    // A time-travel read is resolved afresh.
    expect(store.resolve(schema, 'a', { asOf: 1 })).toEqual({ x: 1, y: 1 });
    expect(store.view('a', { entityResolver: counter })).toEqual({ x: 1 });
  });

  it('can ask for the negated deltas (tombstones), for every read', () => {
    const tombstones: string[][] = [];
    const keeper: EntityResolver = {
      name: 'keeper',
      resolve: (input) => {
        tombstones.push([...(input.negatedDeltas?.() ?? new Map()).values()].flat().map((d) => d.id));
        return { visible: [...input.properties.values()].flat().length };
      },
    };
    const schema = defineSchema({ name: 'kept', properties: {}, entityResolver: keeper });
    const store = createViewStore();
    const inserted = at(1).set('doc', { char: 'a' }).build();
    const pending = at(2).set('doc', { char: 'b' }).inTransaction('never-declared').build();
    const removal = at(3).negate(inserted.id).build();
    store.ingestMany([inserted, pending, removal]);
    expect(store.resolve(schema, 'doc')).toEqual({ visible: 0 });
    expect(store.resolve(schema, 'doc', { asOf: 2 })).toEqual({ visible: 1 });
    expect(tombstones).toEqual([[inserted.id], []]);
  });

  it('hear how the tombstones changed once they have asked for them', () => {
    const ids = (groups: ReadonlyMap<string, readonly Delta[]> | undefined) =>
      groups === undefined ? undefined : [...groups.values()].flat().map((d) => d.id);
    const changes: { added: string[] | undefined; removed: string[] | undefined }[] = [];
    const keeper: EntityResolver<{ tombstones: number }> = {
      name: 'tombstone-keeper',
      resolve: (input) => ({ tombstones: ids(input.negatedDeltas!())!.length }),
      update: (_previous, change, input) => {
        changes.push({ added: ids(change.negated?.added), removed: ids(change.negated?.removed) });
        return { tombstones: ids(input.negatedDeltas!())!.length };
      },
    };
    const blind: EntityResolver<{ n: number }> = {
      name: 'blind',
      resolve: (input) => ({ n: input.properties.size }),
      update: (_previous, change, input) => {
        expect(change.negated).toBeUndefined();
        return { n: input.properties.size };
      },
    };
    const kept = defineSchema({ name: 'kept', properties: {}, entityResolver: keeper });
    const counted = defineSchema({ name: 'counted', properties: {}, entityResolver: blind });
    const store = createViewStore();
    const read = () => [store.resolve(kept, 'doc'), store.resolve(counted, 'doc')];
    const a = at(1).set('doc', { char: 'a' }).build();
    store.ingest(a);
    read();
    const deleteA = at(2).negate(a.id).build();
    store.ingest(deleteA);
    read();
    // A negation before its target: the target arrives as a tombstone, never visible.
    const b = at(3).set('doc', { char: 'b' }).build();
    store.ingest(at(4).negate(b.id).build());
    store.ingest(b);
    read();
    store.ingest(at(5).negate(deleteA.id).build());
    read();
    // A surplus member voids the transaction: `member` leaves the visible set without becoming a tombstone.
    const member = at(6).set('doc', { char: 'm' }).inTransaction('t').build();
    store.ingestMany([member, at(6).declareTransaction('t', 1).build()]);
    read();
    store.ingest(at(7).set('doc', { char: 'n' }).inTransaction('t').build());
    expect(read()).toEqual([{ tombstones: 1 }, { n: 1 }]);
    expect(changes).toEqual([
      { added: [a.id], removed: [] },
      { added: [b.id], removed: [] },
      { added: [], removed: [a.id] },
      { added: [], removed: [] },
      { added: [], removed: [] },
    ]);
  });

  it('get the value rule, including schema overrides', () => {
    let seen: unknown;
    const probe: EntityResolver = {
      name: 'probe',
      resolve: (input) => {
        const delta = input.properties.get('tag')![0]!;
        seen = input.valueOf(delta, 'tag');
        return {};
      },
    };
    const schema = defineSchema({
      name: 'probed',
      properties: { tag: prop.any({ value: { localContext: 'label' } }) },
      entityResolver: probe,
    });
    const store = createViewStore();
    store.ingest(
      at(1)
        .pointer({ localContext: 'item', target: { id: 'a' }, targetContext: 'tag' })
        .pointer({ localContext: 'label', target: 'red' })
        .pointer({ localContext: 'other', target: 'blue' })
        .build(),
    );
    store.resolve(schema, 'a');
    expect(seen).toBe('red');
  });
});

describe('queries', () => {
  const store = createViewStore({ schemas: [person] });
  const deltas: Delta[] = [];
  for (let i = 0; i < 10; i++) deltas.push(at(i).set(`p${i}`, { name: `n${i}`, age: i }).build());
  const hidden = at(20).set('q', { name: 'hidden' }).build();
  deltas.push(hidden, at(21).negate(hidden.id).build());
  store.ingestMany(deltas);

  it('lists entities having a property, with limit and cursor', () => {
    const first = store.entitiesWithProperty('name', { limit: 4 });
    expect(first).toEqual({ ids: ['p0', 'p1', 'p2', 'p3'], nextCursor: 'p3' });
    const rest = store.entitiesWithProperty('name', { cursor: first.nextCursor! });
    expect(rest).toEqual({ ids: ['p4', 'p5', 'p6', 'p7', 'p8', 'p9'] });
    expect(store.entitiesWithProperty('name', { asOf: 1 }).ids).toEqual(['p0', 'p1']);
  });

  it('filters on resolved values: equality, range, in', () => {
    expect(store.query(person, { where: { age: { gte: 3, lt: 6 } } }).ids).toEqual(['p3', 'p4', 'p5']);
    expect(store.query(person, { where: { name: { eq: 'n7' } } }).ids).toEqual(['p7']);
    expect(store.query(person, { where: { name: { in: ['n1', 'n9', 'zz'] } } }).ids).toEqual(['p1', 'p9']);
    expect(store.query(person, { where: { age: { gt: 5 } }, limit: 2 })).toEqual({ ids: ['p6', 'p7'], nextCursor: 'p7' });
    // q's only delta is negated: it has no visible delta, so it is not listed (issue 14).
    expect(store.query(person, { where: { age: { exists: false } } }).ids).toEqual([]);
  });

  it('rejects malformed queries with QUERY_INVALID', () => {
    expect(() => store.query(person, { limit: 0 })).toThrow(expect.objectContaining({ code: 'QUERY_INVALID' }));
    expect(() => store.query(person, { where: { age: { near: 3 } as never } })).toThrow(
      expect.objectContaining({ code: 'QUERY_INVALID' }),
    );
  });
});

describe('store', () => {
  it('reports transactions: per creator state and ignored members', () => {
    const store = createViewStore();
    store.ingestMany([
      at(1).declareTransaction('t', 2).build(),
      at(2).set('a', { x: 1 }).inTransaction('t').build(),
      at(3, 'mallory').set('a', { x: 2 }).inTransaction('t').build(),
    ]);
    const report = store.transaction('t');
    expect(report.creators).toEqual([
      expect.objectContaining({ creator: 'alice', state: 'pending', declaredSizes: [2] }),
    ]);
    expect(report.ignoredMemberIds).toHaveLength(1);
    expect(store.transaction('t', { asOf: 0 })).toEqual({ transactionId: 't', creators: [], ignoredMemberIds: [] });
  });

  it('rejects what is not a delta, and unknown nested schemas', () => {
    const store = createViewStore();
    expect(() => store.ingest({ id: 1 } as never)).toThrow(expect.objectContaining({ code: 'DELTA_REJECTED' }));
    const orphan = defineSchema({ name: 'orphan', properties: { f: prop.reference('nobody') } });
    store.ingest(at(1).set('a', { f: { id: 'b' } }).build());
    expect(() => store.resolve(orphan, 'a')).toThrow(expect.objectContaining({ code: 'SCHEMA_UNKNOWN' }));
  });

  it('resolves schemaless views with chosen resolvers', () => {
    const store = createViewStore();
    store.ingestMany([at(1).set('a', { n: 1, s: 'x' }).build(), at(2).set('a', { n: 2, s: 'y' }).build()]);
    expect(store.view('a', { resolvers: { n: 'sum' }, defaultResolver: 'list' })).toEqual({ n: 3, s: ['x', 'y'] });
  });
});

describe('schema registry', () => {
  it('re-registering a name drops nested views built through the old schema', () => {
    const address = defineSchema({ name: 'address', properties: { city: prop.string() } });
    const home = defineSchema({ name: 'home-owner', properties: { home: prop.reference('address') } });
    const store = createViewStore({ schemas: [address, home] });
    store.ingestMany([
      at(1).set('o', { home: { id: 'a1' } }).build(),
      at(1).set('a1', { city: 'Oslo', zip: '0150' }).build(),
    ]);
    expect(store.resolve(home, 'o')).toEqual({ home: { id: 'a1', city: 'Oslo' } });
    store.registerSchema(defineSchema({ name: 'address', properties: { zip: prop.string() } }));
    expect(store.resolve(home, 'o')).toEqual({ home: { id: 'a1', zip: '0150' } });
  });
});

describe('invalidate', () => {
  // An entity resolver whose code changes under the store, as a plugin hot reload does.
  const createSwappable = (name: string) => {
    const swappable = { suffix: '', resolves: 0 };
    const resolver: EntityResolver<Record<string, string>> = {
      name,
      resolve: (input) => {
        swappable.resolves += 1;
        const out: Record<string, string> = {};
        for (const [property, deltas] of input.properties) out[property] = `${String(input.valueOf(deltas.at(-1)!, property))}${swappable.suffix}`;
        return out;
      },
      update: (_previous, _change, input) => resolver.resolve(input),
    };
    return { swappable, resolver };
  };

  it('recomputes the views of the schemas using a resolver, and tells subscribers whose view changed', () => {
    const { swappable, resolver } = createSwappable('shouter');
    const shouted = defineSchema({ name: 'shouted', properties: {}, entityResolver: resolver });
    const owner = defineSchema({ name: 'owner', properties: { pet: prop.reference('shouted') } });
    const store = createViewStore({ schemas: [shouted, owner, person] });
    store.ingestMany([
      at(1).set('rex', { name: 'Rex' }).build(),
      at(1).set('ann', { pet: { id: 'rex' }, name: 'Ann' }).build(),
    ]);
    const heard = vi.fn();
    const heardOwner = vi.fn();
    const heardPerson = vi.fn();
    store.subscribe('rex', heard, { schema: shouted });
    store.subscribe('ann', heardOwner, { schema: owner });
    store.subscribe('ann', heardPerson, { schema: person });
    expect(store.resolve(owner, 'ann')).toEqual({ pet: { id: 'rex', name: 'Rex' } });

    swappable.suffix = '!';
    expect(store.resolve(shouted, 'rex')).toEqual({ name: 'Rex' }); // still cached
    store.invalidate(resolver);
    expect(heard).toHaveBeenCalledExactlyOnceWith({ name: 'Rex!' }, 'rex');
    expect(heardOwner).toHaveBeenCalledExactlyOnceWith({ pet: { id: 'rex', name: 'Rex!' } }, 'ann');
    expect(heardPerson).not.toHaveBeenCalled();
    expect(store.resolve(person, 'ann')).toEqual({ name: 'Ann', friends: [] });
    const resolves = swappable.resolves;
    expect(store.resolve(shouted, 'rex')).toEqual({ name: 'Rex!' });
    expect(swappable.resolves).toBe(resolves); // cached again

    // Invalidating when nothing resolves differently recomputes but calls nobody back.
    store.invalidate('shouted');
    expect(heard).toHaveBeenCalledTimes(1);
    expect(swappable.resolves).toBe(resolves + 1);
  });

  it('matches by schema, by resolver name, by custom property resolver, or drops everything', () => {
    const { swappable, resolver } = createSwappable('by-name');
    const named = defineSchema({ name: 'named', properties: {}, entityResolver: resolver });
    const first = { suffix: '' };
    const pick: Resolver<string> = {
      name: 'pick',
      resolve: (entries) => `${String(entries.at(-1)?.value)}${first.suffix}`,
    };
    const picked = defineSchema({ name: 'picked', properties: { name: prop.string({ resolver: pick }) } });
    const store = createViewStore();
    store.ingest(at(1).set('x', { name: 'X' }).build());
    const read = () => [store.resolve(named, 'x'), store.resolve(picked, 'x'), store.view('x')];
    expect(read()).toEqual([{ name: 'X' }, { name: 'X' }, { name: 'X' }]);
    swappable.suffix = '?';
    first.suffix = '*';
    store.invalidate('nobody');
    expect(read()).toEqual([{ name: 'X' }, { name: 'X' }, { name: 'X' }]);
    store.invalidate('by-name');
    expect(read()).toEqual([{ name: 'X?' }, { name: 'X' }, { name: 'X' }]);
    store.invalidate(pick);
    expect(read()).toEqual([{ name: 'X?' }, { name: 'X*' }, { name: 'X' }]);
    swappable.suffix = '.';
    first.suffix = '.';
    store.invalidate(named);
    expect(read()).toEqual([{ name: 'X.' }, { name: 'X*' }, { name: 'X' }]);
    const heard = vi.fn();
    store.subscribe('x', heard, { schema: picked });
    store.subscribe('x', heard);
    store.invalidate();
    expect(read()).toEqual([{ name: 'X.' }, { name: 'X.' }, { name: 'X' }]);
    expect(heard).toHaveBeenCalledExactlyOnceWith({ name: 'X.' }, 'x');
  });
});
