/** The rhizome-node failures issue 3 names, each pinned. */
import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createViewStore, defineSchema, prop } from '../src/index.ts';

const at = (time: number, creator = 'alice') => createDeltaBuilder({ creator, host: 'h', timeCreated: time });
const schema = defineSchema({ name: 'thing', properties: { name: prop.string(), tags: prop.string({ resolver: 'list' }) } });

describe('issue 3: legacy failures', () => {
  it('a negation that arrived before its target is not lost', () => {
    const store = createViewStore();
    const value = at(1).set('e', { name: 'A' }).build();
    store.ingest(at(2).negate(value.id).build());
    store.ingest(value);
    expect(store.resolve(schema, 'e')).toEqual({ tags: [] });
  });

  it('a surplus member does not hide the whole transaction', () => {
    const store = createViewStore();
    store.ingestMany([
      at(1).declareTransaction('tx', 1).build(),
      at(2, 'mallory').set('e', { name: 'M' }).inTransaction('tx').build(),
      at(3).set('e', { name: 'A' }).inTransaction('tx').build(),
    ]);
    expect(store.resolve(schema, 'e')).toEqual({ name: 'A', tags: [] });
  });

  it('re-ingesting a delta does not duplicate it', () => {
    const store = createViewStore();
    const tag = at(1).set('e', { tags: 'x' }).build();
    expect(store.ingest(tag)).toBe(true);
    expect(store.ingest(tag)).toBe(false);
    expect(store.ingestMany([tag, tag])).toBe(0);
    expect(store.resolve(schema, 'e')).toEqual({ tags: ['x'] });
  });

  it('views neither crash on negations nor miss what was ingested before they were created', () => {
    const store = createViewStore();
    const value = at(1).set('e', { name: 'A', tags: 'x' }).build();
    store.ingestMany([value, at(2).negate(value.id).build(), at(3).negate('nothing-here').build()]);
    const seen: unknown[] = [];
    store.subscribe('e', (view) => seen.push(view), { schema });
    expect(store.resolve(schema, 'e')).toEqual({ tags: [] });
    store.ingest(at(4).set('e', { name: 'B' }).build());
    expect(seen).toEqual([{ name: 'B', tags: [] }]);
  });
});
