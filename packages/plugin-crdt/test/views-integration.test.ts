import type { Delta } from '@rhizome/core';
import { createCustomResolver, toEntityResolver } from '@rhizome/plugins';
import {
  createViewStore,
  defineSchema,
  type EntityResolver,
  type EntityResolverInput,
} from '@rhizome/views';
import { describe, expect, it } from 'vitest';
import { plugins, sequenceInsertPointers } from '../src/index.ts';
import { builder, counterChange, insertAfter, negate, permutations } from './support/deltas.ts';

/** A store whose `doc` schema resolves a text, a counter and a set through the CRDT plugins. */
function createDocumentStore(wrap: (resolver: EntityResolver) => EntityResolver = (r) => r) {
  const resolver = createCustomResolver([
    plugins['sequence']!({ property: 'text' }),
    plugins['pn-counter']!({ property: 'n' }),
    plugins['or-set']!({ property: 'tags' }),
  ]);
  const schema = defineSchema({
    name: 'doc',
    properties: {},
    entityResolver: wrap(toEntityResolver(resolver, { name: 'crdt-doc' })),
  });
  return { store: createViewStore({ schemas: [schema] }), schema };
}

/** What a fresh store makes of these deltas: resolution from scratch. */
function textFromScratch(deltas: readonly Delta[]): string {
  const { store, schema } = createDocumentStore();
  store.ingestMany(deltas);
  return (store.resolve(schema, 'doc') as { text: string }).text;
}

const insertInTransaction = (
  time: number,
  after: string | undefined,
  value: string,
  transactionId: string,
) => {
  const b = builder(time, 'ann');
  for (const pointer of sequenceInsertPointers({ entity: 'doc', property: 'text', after, value }))
    b.pointer(pointer);
  return b.inTransaction(transactionId).build();
};

describe('CRDT plugins through @rhizome/views', () => {
  it('resolves text with deletes as negations, in every delivery order', () => {
    const a = insertAfter(1, 'ann', undefined, 'a');
    const b = insertAfter(2, 'ann', a.id, 'b');
    const c = insertAfter(3, 'ann', b.id, 'c');
    // Typed after `b`, which is then deleted: it must keep its place after the tombstone.
    const x = insertAfter(4, 'bob', b.id, 'x');
    const deleteB = negate(5, b, 'bob');
    const outcomes = new Set<string>();
    for (const order of permutations<Delta>([a, b, c, x, deleteB])) {
      const { store, schema } = createDocumentStore();
      for (const delta of order) {
        store.ingest(delta);
        store.resolve(schema, 'doc'); // exercise the incremental path at every step
      }
      outcomes.add((store.resolve(schema, 'doc') as { text: string }).text);
    }
    expect([...outcomes]).toEqual(['axc']);
  });

  it('keeps text typed after a deleted character in place when deltas arrive in batches', () => {
    const a = insertAfter(1, 'ann', undefined, 'a');
    const b = insertAfter(2, 'ann', a.id, 'b');
    const c = insertAfter(3, 'ann', b.id, 'c');
    const x = insertAfter(4, 'bob', b.id, 'x');
    const deleteB = negate(5, b, 'bob');
    const restoreB = negate(6, deleteB, 'ann');
    const all = [a, b, c, x, deleteB, restoreB];
    for (const order of permutations<Delta>(all)) {
      // Two batches, read in between; and a subscriber that must end on the final text.
      const { store, schema } = createDocumentStore();
      const heard: string[] = [];
      store.subscribe('doc', (view) => heard.push((view as { text: string }).text), { schema });
      store.ingestMany(order.slice(0, 3));
      store.resolve(schema, 'doc');
      store.ingestMany(order.slice(3));
      expect((store.resolve(schema, 'doc') as { text: string }).text).toBe('abxc');
      expect(heard.at(-1)).toBe('abxc');
    }
    expect(textFromScratch([a, b, c, x, deleteB])).toBe('axc');
  });

  it('reads tombstones from the change on the incremental path, not from the whole entity', () => {
    let fullReads = 0;
    const counting = (inner: EntityResolver): EntityResolver => {
      const counted = (input: EntityResolverInput): EntityResolverInput => ({
        ...input,
        negatedDeltas: () => {
          fullReads += 1;
          return input.negatedDeltas!();
        },
      });
      return {
        name: inner.name,
        resolve: (input) => inner.resolve(counted(input)),
        update: (previous, change, input) => inner.update!(previous, change, counted(input)),
      };
    };
    const { store, schema } = createDocumentStore(counting);
    const a = insertAfter(1, 'ann', undefined, 'a');
    store.ingest(a);
    store.resolve(schema, 'doc');
    expect(fullReads).toBe(1);
    let previous = a;
    for (let time = 2; time < 20; time += 1) {
      const next = insertAfter(time, 'ann', previous.id, String.fromCharCode(96 + time));
      store.ingest(next);
      if (time % 3 === 0) store.ingest(negate(time, previous));
      store.resolve(schema, 'doc');
      previous = next;
    }
    expect(fullReads).toBe(1);
  });

  it('matches resolution from scratch when a transaction turns void under a character', () => {
    // `b` is in a transaction of size 1; a surplus member voids it, so `b` stops existing for
    // views (not a tombstone) and `x`, typed after it, has nowhere to go.
    const a = insertAfter(1, 'ann', undefined, 'a');
    const b = insertInTransaction(2, a.id, 'b', 'tx');
    const declaration = builder(2, 'ann').declareTransaction('tx', 1).build();
    const x = insertAfter(3, 'bob', b.id, 'x');
    const surplus = insertInTransaction(4, a.id, 's', 'tx');
    expect(textFromScratch([a, b, declaration, x])).toBe('abx');
    const expected = textFromScratch([a, b, declaration, x, surplus]);
    expect(expected).toBe('a');
    for (const order of permutations<Delta>([a, b, declaration, x, surplus])) {
      const { store, schema } = createDocumentStore();
      for (const delta of order) {
        store.ingest(delta);
        store.resolve(schema, 'doc');
      }
      expect((store.resolve(schema, 'doc') as { text: string }).text).toBe(expected);
    }
  });

  it('counts and sets alongside the text', () => {
    const { store, schema } = createDocumentStore();
    const plus = counterChange(1, 'ann', 3);
    store.ingestMany([plus, counterChange(2, 'bob', -1)]);
    expect(store.resolve(schema, 'c')).toEqual({ text: '', n: 2, tags: [] });
    store.ingest(negate(3, plus));
    expect(store.resolve(schema, 'c')).toEqual({ text: '', n: -1, tags: [] });
  });
});
