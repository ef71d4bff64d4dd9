import type { Delta } from '@rhizome/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at, createReplica, negate, resolveFromScratch } from './support/deltas.ts';
import { assertProperty } from '@rhizome/vitest-config/seed';
import { createTenPluginResolver } from './support/ten-plugins.ts';

const PROPERTIES = ['price', 'discount', 'name', 'color', 'score', 'fee'] as const;

type Step =
  | {
      kind: 'set';
      time: number;
      property: (typeof PROPERTIES)[number];
      value: number | string;
      creator: string;
    }
  | { kind: 'negate'; time: number; target: number; creator: string };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      time: fc.integer({ min: 1, max: 8 }),
      property: fc.constantFrom(...PROPERTIES),
      value: fc.oneof(
        fc.integer({ min: -5, max: 50 }),
        fc.constantFrom('red', 'blue', 'x'),
        fc.double({ min: -10, max: 10, noNaN: true }),
      ),
      creator: fc.constantFrom('ann', 'bob'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('negate' as const),
      time: fc.integer({ min: 1, max: 12 }),
      target: fc.nat(),
      creator: fc.constantFrom('ann', 'bob'),
    }),
  },
);

function buildDeltas(steps: Step[]): Delta[] {
  const deltas: Delta[] = [];
  for (const step of steps) {
    if (step.kind === 'set')
      deltas.push(
        at(step.time, step.creator)
          .set('e', { [step.property]: step.value })
          .build(),
      );
    else if (deltas.length > 0)
      deltas.push(negate(step.time, deltas[step.target % deltas.length]!, step.creator));
  }
  return deltas;
}

/** A delivery: a permutation with duplicates, cut into batches. */
const deliveryArbitrary = (size: number) =>
  fc.record({
    keys: fc.array(fc.double({ noNaN: true }), { minLength: size, maxLength: size }),
    duplicates: fc.array(fc.nat({ max: Math.max(0, size - 1) }), { maxLength: 4 }),
    cuts: fc.array(fc.boolean(), { minLength: size + 4, maxLength: size + 4 }),
  });

function deliver(
  deltas: Delta[],
  delivery: { keys: number[]; duplicates: number[]; cuts: boolean[] },
): Delta[][] {
  const order = deltas
    .map((delta, index) => ({ delta, key: delivery.keys[index]! }))
    .sort((a, b) => a.key - b.key);
  const sequence = order.map((entry) => entry.delta);
  for (const index of delivery.duplicates)
    if (deltas[index] !== undefined) sequence.push(deltas[index]);
  const batches: Delta[][] = [[]];
  sequence.forEach((delta, index) => {
    batches[batches.length - 1]!.push(delta);
    if (delivery.cuts[index]) batches.push([]);
  });
  return batches.filter((batch) => batch.length > 0);
}

const scenario = fc
  .array(stepArbitrary, { minLength: 1, maxLength: 25 })
  .map(buildDeltas)
  .chain((deltas) =>
    fc.tuple(
      fc.constant(deltas),
      deliveryArbitrary(deltas.length),
      deliveryArbitrary(deltas.length),
    ),
  );

describe('custom resolver convergence (property tests)', () => {
  it('gives the same view in every delivery order, batching and duplication, equal to from-scratch', () => {
    assertProperty(
      fc.property(scenario, ([deltas, first, second]) => {
        const resolver = createTenPluginResolver();
        const expected = resolveFromScratch(resolver, 'e', deltas);
        for (const delivery of [first, second]) {
          const replica = createReplica(resolver, 'e');
          for (const batch of deliver(deltas, delivery)) replica.receive(...batch);
          expect(replica.view()).toEqual(expected);
        }
      }),
    );
  });

  it('stays equal to from-scratch after every single step (incremental == from scratch)', () => {
    assertProperty(
      fc.property(scenario, ([deltas, delivery]) => {
        const resolver = createTenPluginResolver();
        const replica = createReplica(resolver, 'e');
        const received: Delta[] = [];
        for (const batch of deliver(deltas, delivery)) {
          replica.receive(...batch);
          received.push(...batch);
          expect(replica.view()).toEqual(resolveFromScratch(resolver, 'e', received));
        }
      }),
      50,
    );
  });
});
