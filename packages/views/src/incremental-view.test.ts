import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { RESOLVER_NAMES, type ResolverName } from './resolvers.ts';
import { defineSchema, prop } from './schema.ts';
import type { ValueExtractor } from './types.ts';
import { valueOf } from './value.ts';
import { createViewStore } from './view-store.ts';

const at = (time: number, creator = 'c') =>
  createDeltaBuilder({ creator, host: 'h', timeCreated: time });

/** A schema resolving `x` with `resolver`, counting how many deltas it extracts a value from. */
function countingSchema(resolver: ResolverName) {
  const counter = { calls: 0 };
  const value: ValueExtractor = (delta, entityId, property) => {
    counter.calls++;
    return valueOf(delta, entityId, property);
  };
  const schema = defineSchema({
    name: `counted-${resolver}`,
    properties: { x: prop.any({ resolver, value }) },
  });
  return { counter, schema };
}

describe('incremental views', () => {
  it.each(RESOLVER_NAMES)(
    '%s: a write to a cached view reads only the new delta, however long the history',
    (resolver) => {
      const { counter, schema } = countingSchema(resolver);
      const store = createViewStore({ schemas: [schema] });
      store.ingestMany(
        Array.from({ length: 500 }, (_, i) =>
          at(i)
            .set('e', { x: i % 7 })
            .build(),
        ),
      );
      store.subscribe('e', () => {}, { schema });
      const before = counter.calls;
      store.ingest(at(1000).set('e', { x: 3 }).build());
      store.resolve(schema, 'e');
      expect(counter.calls - before).toBe(1);
    },
  );

  it('negating the last-write-wins winner falls back to the previous write; negating that negation restores it', () => {
    const schema = defineSchema({
      name: 'w',
      properties: { name: prop.string(), total: prop.number({ resolver: 'sum' }) },
    });
    const store = createViewStore({ schemas: [schema] });
    const heard: unknown[] = [];
    store.subscribe('e', (view) => heard.push(view), { schema });
    const first = at(1).set('e', { name: 'first', total: 2 }).build();
    const winner = at(2).set('e', { name: 'winner', total: 5 }).build();
    store.ingestMany([first, winner]);
    expect(store.resolve(schema, 'e')).toEqual({ name: 'winner', total: 7 });
    const negation = at(3).negate(winner.id).build();
    store.ingest(negation);
    expect(store.resolve(schema, 'e')).toEqual({ name: 'first', total: 2 });
    store.ingest(at(4).negate(negation.id).build());
    expect(store.resolve(schema, 'e')).toEqual({ name: 'winner', total: 7 });
    expect(heard).toEqual([
      { name: 'winner', total: 7 },
      { name: 'first', total: 2 },
      { name: 'winner', total: 7 },
    ]);
  });

  it('transaction members join the views when the transaction completes, not before', () => {
    const schema = defineSchema({
      name: 't',
      properties: { tags: prop.any({ resolver: 'list' }), n: prop.number({ resolver: 'max' }) },
    });
    const store = createViewStore({ schemas: [schema] });
    store.ingest(at(1).set('e', { tags: 'plain', n: 1 }).build());
    expect(store.resolve(schema, 'e')).toEqual({ tags: ['plain'], n: 1 });
    const members: Delta[] = [
      at(2).set('e', { tags: 'tx', n: 9 }).inTransaction('t1').build(),
      at(3).set('e', { tags: 'tx2' }).inTransaction('t1').build(),
    ];
    store.ingestMany(members);
    expect(store.resolve(schema, 'e')).toEqual({ tags: ['plain'], n: 1 });
    store.ingest(at(4).declareTransaction('t1', 2).build());
    expect(store.resolve(schema, 'e')).toEqual({ tags: ['plain', 'tx', 'tx2'], n: 9 });
    // A third member makes the transaction overfull: its members leave again.
    store.ingest(at(5).set('e', { tags: 'tx3' }).inTransaction('t1').build());
    expect(store.resolve(schema, 'e')).toEqual({ tags: ['plain'], n: 1 });
  });

  it('sums of non-integers equal the total-order summation bit for bit whatever the arrival order', () => {
    const schema = defineSchema({
      name: 's',
      properties: {
        total: prop.number({ resolver: 'sum' }),
        mean: prop.number({ resolver: 'average', value: { localContext: 'total' } }),
      },
    });
    const deltas = [0.1, 0.2, 0.3, 1e16, -1e16].map((n, i) => at(i).set('e', { total: n }).build());
    const scratch = createViewStore({ schemas: [schema] });
    scratch.ingestMany(deltas);
    const expected = scratch.resolve(schema, 'e', { asOf: 100 });
    const store = createViewStore({ schemas: [schema] });
    store.subscribe('e', () => {}, { schema });
    for (const delta of [...deltas].reverse()) store.ingest(delta);
    expect(store.resolve(schema, 'e')).toEqual(expected);
    expect(Object.is(store.resolve(schema, 'e').total, expected.total)).toBe(true);
  });
});
