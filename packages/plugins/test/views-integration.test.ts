import type { Delta } from '@rhizome/core';
import { createViewStore, defineSchema, type ViewOf } from '@rhizome/views';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCustomResolver,
  lastWriteWins,
  toEntityResolver,
  type ResolverPlugin,
} from '../src/index.ts';
import { at, negate, resolveFromScratch, set } from './support/deltas.ts';
import { assertProperty } from '@rhizome/vitest-config/seed';
import { createTenPluginResolver } from './support/ten-plugins.ts';

const discount: ResolverPlugin<number | undefined, number | undefined> = {
  name: 'test/discount',
  version: '1.0.0',
  property: 'discount',
  dependsOn: ['price'],
  initialize: () => undefined,
  update: (_state, value, _delta, deps) =>
    typeof value === 'number' && typeof deps['price'] === 'number'
      ? (deps['price'] * value) / 100
      : undefined,
  resolve: (state) => state,
};

const total: ResolverPlugin<null, number | undefined> = {
  name: 'test/total',
  version: '1.0.0',
  property: 'total',
  reads: [],
  dependsOn: ['price', 'discount'],
  usesDependenciesInUpdate: false,
  initialize: () => null,
  update: (state) => state,
  resolve: (_state, deps) =>
    typeof deps['price'] === 'number'
      ? deps['price'] - ((deps['discount'] as number | undefined) ?? 0)
      : undefined,
};

const pricing = toEntityResolver(
  createCustomResolver([total, discount, lastWriteWins({ property: 'price' })]),
  {
    name: 'pricing',
  },
);
const product = defineSchema({ name: 'product', properties: {}, entityResolver: pricing });

describe('custom resolver as a views EntityResolver', () => {
  const price = set(1, 'p1', { price: 200 });
  const off = set(2, 'p1', { discount: 10 });

  it.each([
    ['price first', [price, off]],
    ['discount first', [off, price]],
  ])('resolves a schema view through the store (%s)', (_name, order) => {
    const store = createViewStore({ schemas: [product] });
    for (const delta of order) store.ingest(delta);
    const view: ViewOf<typeof product> = store.resolve(product, 'p1');
    expect(view).toEqual({ price: 200, discount: 20, total: 180 });
  });

  it('follows negations, negations before their targets and time travel', () => {
    const store = createViewStore({ schemas: [product] });
    const newPrice = set(3, 'p1', { price: 300 });
    const undo = negate(4, newPrice);
    store.ingest(undo); // before its target
    store.ingest(price);
    store.ingest(off);
    expect(store.resolve(product, 'p1')).toEqual({ price: 200, discount: 20, total: 180 });
    store.ingest(newPrice);
    expect(store.resolve(product, 'p1')).toEqual({ price: 200, discount: 20, total: 180 });
    store.ingest(negate(5, undo));
    expect(store.resolve(product, 'p1')).toEqual({ price: 300, discount: 30, total: 270 });
    expect(store.resolve(product, 'p1', { asOf: 1 })).toEqual({
      price: 200,
      discount: undefined,
      total: 200,
    });
  });

  it('tells subscribers when the resolved view changes, and only then', () => {
    const store = createViewStore({ schemas: [product] });
    const seen: unknown[] = [];
    store.subscribe('p1', (view) => seen.push(view), { schema: product });
    store.ingest(price);
    store.ingest(off);
    store.ingest(set(3, 'p1', { unrelated: 'x' }));
    expect(seen).toEqual([
      { price: 200, discount: undefined, total: 200 },
      { price: 200, discount: 20, total: 180 },
    ]);
  });

  it('takes the incremental path for entities the cache resolved before', () => {
    const adapter = toEntityResolver(
      createCustomResolver([total, discount, lastWriteWins({ property: 'price' })]),
    );
    let updates = 0;
    const counting = {
      ...adapter,
      update: (...args: Parameters<NonNullable<typeof adapter.update>>) => {
        updates += 1;
        return adapter.update!(...args);
      },
    };
    const schema = defineSchema({ name: 'counted', properties: {}, entityResolver: counting });
    const store = createViewStore({ schemas: [schema] });
    store.ingest(price);
    store.resolve(schema, 'p1');
    store.ingest(off);
    expect(store.resolve(schema, 'p1')).toEqual({ price: 200, discount: 20, total: 180 });
    expect(updates).toBeGreaterThan(0);
  });

  it('resolves a completed transaction with two values for one property without throwing', () => {
    const store = createViewStore({ schemas: [product] });
    const declaration = at(5).declareTransaction('tx', 2).build();
    const a = at(6).set('p1', { price: 10 }).inTransaction('tx').build();
    const b = at(6).set('p1', { price: 20 }).inTransaction('tx').build();
    store.ingest(a);
    expect(store.resolve(product, 'p1')).toEqual({
      price: undefined,
      discount: undefined,
      total: undefined,
    });
    expect(() => store.ingestMany([b, declaration])).not.toThrow();
    const winner = (a.id > b.id ? 10 : 20) as number;
    expect(store.resolve(product, 'p1')).toEqual({
      price: winner,
      discount: undefined,
      total: winner,
    });
  });

  it('matches from-scratch resolution after every ingest, in any order (property test)', () => {
    const resolver = createTenPluginResolver();
    const schema = defineSchema({
      name: 'ten',
      properties: {},
      entityResolver: toEntityResolver(resolver, { name: 'ten' }),
    });
    const step = fc.oneof(
      fc.record({
        time: fc.integer({ min: 1, max: 6 }),
        property: fc.constantFrom('price', 'discount', 'name', 'color', 'score', 'fee'),
        value: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom('red', 'blue')),
      }),
      fc.record({ time: fc.integer({ min: 1, max: 9 }), negate: fc.nat() }),
    );
    assertProperty(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
        (steps, swaps) => {
          const deltas: Delta[] = [];
          for (const item of steps) {
            if ('negate' in item) {
              if (deltas.length > 0)
                deltas.push(negate(item.time, deltas[item.negate % deltas.length]!));
            } else {
              deltas.push(set(item.time, 'e', { [item.property]: item.value }));
            }
          }
          const order = [...deltas];
          swaps.forEach((swap, index) => {
            const other = swap % order.length;
            const from = index % order.length;
            [order[from], order[other]] = [order[other]!, order[from]!];
          });
          const store = createViewStore({ schemas: [schema] });
          const received: Delta[] = [];
          for (const delta of order) {
            store.ingest(delta);
            received.push(delta);
            expect(store.resolve(schema, 'e')).toEqual(resolveFromScratch(resolver, 'e', received));
          }
        },
      ),
      40,
    );
  });
});
