import type { Delta } from '@rhizome/core';
import { createCustomResolver, negatedDeltasFromStore, toEntityResolver } from '@rhizome/plugins';
import { createViewStore, defineSchema, type ViewStore } from '@rhizome/views';
import { describe, expect, it } from 'vitest';
import { plugins } from '../src/index.ts';
import { counterChange, insertAfter, negate, permutations } from './support/deltas.ts';

/** A store whose `doc` schema resolves a text, a counter and a set through the CRDT plugins. */
function createDocumentStore() {
  const resolver = createCustomResolver([
    plugins['sequence']!({ property: 'text' }),
    plugins['pn-counter']!({ property: 'n' }),
    plugins['or-set']!({ property: 'tags' }),
  ]);
  const schema = defineSchema({
    name: 'doc',
    properties: {},
    entityResolver: toEntityResolver(resolver, {
      name: 'crdt-doc',
      negatedDeltas: negatedDeltasFromStore(() => store),
    }),
  });
  // The schema reads the store lazily, so the store can be built from the schema.
  const store: ViewStore = createViewStore({ schemas: [schema] });
  return { store, schema };
}

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

  it('counts and sets alongside the text', () => {
    const { store, schema } = createDocumentStore();
    const plus = counterChange(1, 'ann', 3);
    store.ingestMany([plus, counterChange(2, 'bob', -1)]);
    expect(store.resolve(schema, 'c')).toEqual({ text: '', n: 2, tags: [] });
    store.ingest(negate(3, plus));
    expect(store.resolve(schema, 'c')).toEqual({ text: '', n: -1, tags: [] });
  });
});
