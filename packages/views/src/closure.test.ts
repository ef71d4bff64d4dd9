import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deltaSetArbitrary, ENTITIES, propertyParameters } from '../test/arbitraries.ts';
import { collectEntityClosure, createIndexClosureSource, loadEntityClosure } from './closure.ts';
import { createDeltaIndex } from './delta-index.ts';

describe('entity closure', () => {
  it('loads the same set in batched rounds as the one-by-one walk', async () => {
    await fc.assert(
      fc.asyncProperty(deltaSetArbitrary, async (deltas) => {
        const index = createDeltaIndex(deltas);
        const source = createIndexClosureSource(index);
        for (const entityId of ENTITIES) {
          const batched = await loadEntityClosure(
            {
              entityDeltas: async (id) => source.entityDeltas(id),
              negationsOf: async (ids) => ids.flatMap((id) => [...source.negationsOf(id)]),
              transactionParts: async (txs) => txs.flatMap((tx) => [...source.transactionParts(tx)]),
            },
            entityId,
          );
          const walked = collectEntityClosure(source, entityId);
          expect(batched.map((d) => d.id).sort()).toEqual(walked.map((d) => d.id).sort());
        }
      }),
      propertyParameters(60),
    );
  });
});
