import type { Delta } from '@rhizome/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createViewStore,
  defineSchema,
  prop,
  type EntityDeltaChange,
  type EntityResolver,
  type ReadOptions,
  type ViewStore,
} from '../src/index.ts';
import { CREATORS, deltaSetArbitrary, ENTITIES, ingestPlanArbitrary, LINKS, propertyParameters, TRANSACTIONS } from './arbitraries.ts';

const schema = defineSchema({
  name: 'random',
  properties: {
    // The schemaless view resolves p0 by plain last-write-wins; here ties go by value.
    p0: prop.any({ resolver: { kind: 'lww', tieBreak: 'value' } }),
    p1: prop.number({ resolver: 'sum' }),
    p2: prop.any({ resolver: 'set' }),
    back: prop.references('random', { resolver: 'list', depth: 2 }),
    // Self-references and composite relations (issue 14).
    [LINKS]: prop.references('random', { depth: 1 }),
  },
});

const READS: readonly ReadOptions[] = [{}, { asOf: 4 }, { asOf: 9 }, { filter: { creators: [CREATORS[0]!] } }];
const SUBJECTS = [...ENTITIES, ...TRANSACTIONS, 'missing'];

function snapshot(store: ViewStore): unknown {
  const out: Record<string, unknown> = {};
  READS.forEach((read, r) => {
    out[`${r}:query`] = {
      all: store.query(schema, read).ids,
      noP1: store.query(schema, { ...read, where: { p1: { eq: 0 } } }).ids,
    };
    for (const entityId of SUBJECTS) {
      const hyperview: Record<string, string[]> = {};
      for (const [property, deltas] of store.hyperview(entityId, read).properties) hyperview[property] = deltas.map((d) => d.id);
      out[`${r}:${entityId}`] = {
        hyperview,
        view: store.view(entityId, read),
        schema: store.resolve(schema, entityId, read),
      };
    }
  });
  return out;
}

function fromScratch(deltas: readonly Delta[]): ViewStore {
  const store = createViewStore({ schemas: [schema] });
  for (const delta of deltas) store.ingest(delta);
  return store;
}

describe('convergence (property)', () => {
  it('every permutation, duplication and batching gives identical hyperviews and views', () => {
    fc.assert(
      fc.property(
        deltaSetArbitrary.chain((deltas) => fc.tuple(fc.constant(deltas), ingestPlanArbitrary(deltas))),
        ([deltas, plan]) => {
          const store = createViewStore({ schemas: [schema] });
          for (const batch of plan.batches) {
            if (batch.length === 1) store.ingest(batch[0]!);
            else store.ingestMany(batch);
          }
          expect(snapshot(store)).toEqual(snapshot(fromScratch(deltas)));
          // Storing compact copies instead of the caller's objects changes nothing.
          const compacted = createViewStore({ schemas: [schema], compact: true });
          for (const batch of plan.batches) compacted.ingestMany(batch);
          expect(snapshot(compacted)).toEqual(snapshot(store));
        },
      ),
      propertyParameters(150),
    );
  });

  it('the incremental cache always equals from-scratch resolution; subscribers hear only real changes', () => {
    fc.assert(
      fc.property(
        deltaSetArbitrary.chain((deltas) => fc.tuple(fc.constant(deltas), ingestPlanArbitrary(deltas))),
        ([, plan]) => {
          const store = createViewStore({ schemas: [schema] });
          const heard = new Map<string, unknown[]>();
          for (const entityId of SUBJECTS) {
            heard.set(entityId, []);
            store.subscribe(entityId, (view) => heard.get(entityId)!.push(view), { schema });
          }
          const seen: Delta[] = [];
          for (const batch of plan.batches) {
            store.ingestMany(batch);
            seen.push(...batch);
            // Read through the cache after every batch, then compare with a fresh store.
            const scratch = fromScratch(seen);
            for (const entityId of SUBJECTS) {
              expect(store.resolve(schema, entityId)).toEqual(scratch.resolve(schema, entityId));
              expect(store.view(entityId)).toEqual(scratch.view(entityId));
            }
            expect(store.query(schema)).toEqual(scratch.query(schema));
          }
          const scratch = fromScratch(seen);
          for (const entityId of SUBJECTS) {
            const views = heard.get(entityId)!;
            const initial = fromScratch([]).resolve(schema, entityId);
            for (let i = 0; i < views.length; i++) {
              expect(views[i]).not.toEqual(i === 0 ? initial : views[i - 1]);
            }
            if (views.length > 0) expect(views[views.length - 1]).toEqual(scratch.resolve(schema, entityId));
            else expect(scratch.resolve(schema, entityId)).toEqual(initial);
          }
        },
      ),
      propertyParameters(100),
    );
  });

  it('the visible and tombstone diffs given to an incremental entity resolver add up to a from-scratch read', () => {
    const keys = (groups: ReadonlyMap<string, readonly Delta[]>) =>
      [...groups].flatMap(([property, deltas]) => deltas.map((d) => `${property}:${d.id}`)).sort();
    const follow = (previous: readonly string[], change: EntityDeltaChange) => {
      const next = new Set(previous);
      for (const key of keys(change.removed)) next.delete(key);
      for (const key of keys(change.added)) next.add(key);
      return [...next].sort();
    };
    // Knows the entity only through the diffs after its first resolution: a missed or spurious diff shows.
    const follower: EntityResolver<{ visible: string[]; negated: string[] }> = {
      name: 'diff-follower',
      resolve: (input) => ({ visible: keys(input.properties), negated: keys(input.negatedDeltas!()) }),
      update: (previous, change) => {
        if (change.negated === undefined) throw new Error('a resolver that read tombstones gets their diff');
        return { visible: follow(previous.visible, change), negated: follow(previous.negated, change.negated) };
      },
    };
    const followed = defineSchema({ name: 'followed', properties: {}, entityResolver: follower });
    fc.assert(
      fc.property(
        deltaSetArbitrary.chain((deltas) => fc.tuple(fc.constant(deltas), ingestPlanArbitrary(deltas))),
        ([, plan]) => {
          const store = createViewStore();
          for (const batch of plan.batches) {
            store.ingestMany(batch);
            for (const entityId of SUBJECTS) {
              // A per-read entity resolver is never cached: this is resolution from scratch.
              expect(store.resolve(followed, entityId)).toEqual(store.view(entityId, { entityResolver: follower }));
            }
          }
        },
      ),
      propertyParameters(100),
    );
  });

  it('resolving from an entity closure equals resolving from the whole store, for every read', () => {
    fc.assert(
      fc.property(deltaSetArbitrary, (deltas) => {
        const full = fromScratch(deltas);
        const flat = defineSchema({
          name: 'flat',
          properties: { p0: prop.any(), p1: prop.number({ resolver: 'sum' }), p2: prop.any({ resolver: 'set' }) },
        });
        for (const entityId of SUBJECTS) {
          const partial = createViewStore();
          partial.ingestMany(full.closure(entityId));
          for (const read of READS) {
            expect(partial.view(entityId, read)).toEqual(full.view(entityId, read));
            expect(partial.resolve(flat, entityId, read)).toEqual(full.resolve(flat, entityId, read));
            const ids = (store: ViewStore) =>
              [...store.hyperview(entityId, read).properties].map(([p, ds]) => [p, ds.map((d) => d.id)]);
            expect(ids(partial)).toEqual(ids(full));
          }
        }
      }),
      propertyParameters(100),
    );
  });
});
