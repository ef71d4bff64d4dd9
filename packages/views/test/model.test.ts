/**
 * The engine against a deliberately naive model of docs/semantics.md: brute-force transaction
 * completeness and the grounded labelling as a plain fixed-point iteration over every delta.
 */
import { compareDeltas, isReference, type Delta } from '@rhizome/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeltaPredicate, createViewStore, type ReadOptions } from '../src/index.ts';
import { CREATORS, deltaSetArbitrary, ENTITIES, propertyParameters, TRANSACTIONS } from './arbitraries.ts';

const reserved = (localContext: string) => localContext === 'negates' || localContext === '_transaction';
const negatedBy = (d: Delta) =>
  d.pointers.filter((p) => p.localContext === 'negates' && isReference(p.target)).map((p) => (p.target as { id: string }).id);
const txsOf = (d: Delta) =>
  d.pointers
    .filter((p) => p.localContext === '_transaction' && p.targetContext === 'deltas' && isReference(p.target))
    .map((p) => (p.target as { id: string }).id);
const declares = (d: Delta, tx: string): number | undefined => {
  const size = d.pointers.find((p) => p.localContext === 'size')?.target;
  const ok = d.pointers.some(
    (p) => p.localContext === '_transaction' && p.targetContext === 'size' && isReference(p.target) && p.target.id === tx,
  );
  return ok && typeof size === 'number' && Number.isInteger(size) && size >= 1 ? size : undefined;
};

function modelVisible(deltas: readonly Delta[], read: ReadOptions): Set<string> {
  return modelLabels(deltas, read).visible;
}

function modelLabels(deltas: readonly Delta[], read: ReadOptions): { visible: Set<string>; effective: Set<string> } {
  const universe = deltas.filter(createDeltaPredicate(read));
  const complete = (tx: string, creator: string) => {
    const count = universe.filter((m) => m.creator === creator && txsOf(m).includes(tx)).length;
    return universe.some((d) => d.creator === creator && declares(d, tx) === count);
  };
  const effective = universe.filter((d) => txsOf(d).every((tx) => complete(tx, d.creator)));
  const label = new Map<string, 'in' | 'out'>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of effective) {
      if (label.has(d.id)) continue;
      const attackers = effective.filter((n) => negatedBy(n).includes(d.id));
      if (attackers.some((a) => label.get(a.id) === 'in')) label.set(d.id, 'out');
      else if (attackers.every((a) => label.get(a.id) === 'out')) label.set(d.id, 'in');
      else continue;
      changed = true;
    }
  }
  return {
    visible: new Set(effective.filter((d) => label.get(d.id) === 'in').map((d) => d.id)),
    effective: new Set(effective.map((d) => d.id)),
  };
}

function modelHyperview(deltas: readonly Delta[], visible: Set<string>, entityId: string): Record<string, string[]> {
  const out: Record<string, Delta[]> = {};
  for (const d of deltas) {
    if (!visible.has(d.id) || negatedBy(d).length > 0) continue;
    const properties = new Set(
      d.pointers
        .filter((p) => !reserved(p.localContext) && isReference(p.target) && p.target.id === entityId && p.targetContext !== undefined)
        .map((p) => p.targetContext!),
    );
    for (const property of properties) (out[property] ??= []).push(d);
  }
  return Object.fromEntries(Object.entries(out).map(([p, ds]) => [p, ds.sort(compareDeltas).map((d) => d.id)]));
}

const READS: ReadOptions[] = [{}, { asOf: 3 }, { asOf: 8 }, { filter: { creators: [CREATORS[1]!, 'mallory'] } }];

describe('engine against the naive model (property)', () => {
  it('visibility and hyperviews match the model for every read', () => {
    fc.assert(
      fc.property(deltaSetArbitrary, (deltas) => {
        const store = createViewStore();
        store.ingestMany([...deltas].reverse());
        for (const read of READS) {
          const visible = modelVisible(deltas, read);
          for (const d of deltas) expect(store.isVisible(d.id, read), d.id).toBe(visible.has(d.id));
          for (const entityId of [...ENTITIES, ...TRANSACTIONS]) {
            const actual = Object.fromEntries(
              [...store.hyperview(entityId, read).properties].map(([p, ds]) => [p, ds.map((d) => d.id)]),
            );
            expect(actual).toEqual(modelHyperview(deltas, visible, entityId));
            // Tombstones: in the entity's hyperview slots, effective, not visible.
            const { effective } = modelLabels(deltas, read);
            const tombstones = modelHyperview(deltas, new Set([...effective].filter((id) => !visible.has(id))), entityId);
            let seen: Record<string, string[]> | undefined;
            store.view(entityId, {
              ...read,
              entityResolver: {
                name: 'probe',
                resolve: (input) => {
                  seen = Object.fromEntries([...input.negatedDeltas!()].map(([p, ds]) => [p, ds.map((d) => d.id)]));
                  return {};
                },
              },
            });
            expect(seen).toEqual(tombstones);
          }
        }
      }),
      propertyParameters(150),
    );
  });
});
