// Property test: over random histories (negations, transactions, ties, asOf), the inspection agrees
// with the view store on every value and on which deltas are visible, and lists every stored delta.
import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectEntity } from './inspect.ts';
import type { ResolverSpec } from './resolvers.ts';
import { defineSchema, prop } from './schema.ts';
import { createViewStore } from './view-store.ts';

type Step =
  | {
      kind: 'set';
      property: 'p' | 'q';
      value: number | string;
      creator: string;
      time: number;
      tx?: string;
    }
  | { kind: 'negate'; target: number; creator: string; time: number }
  | { kind: 'declare'; tx: string; size: number; creator: string; time: number };

const creatorArb = fc.constantFrom('alice', 'bob');
const timeArb = fc.integer({ min: 1, max: 12 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    property: fc.constantFrom('p' as const, 'q' as const),
    value: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('x', 'y')),
    creator: creatorArb,
    time: timeArb,
    tx: fc.option(fc.constantFrom('t1', 't2'), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('negate' as const),
    target: fc.nat(),
    creator: creatorArb,
    time: timeArb,
  }),
  fc.record({
    kind: fc.constant('declare' as const),
    tx: fc.constantFrom('t1', 't2'),
    size: fc.integer({ min: 1, max: 3 }),
    creator: creatorArb,
    time: timeArb,
  }),
);

function buildHistory(steps: readonly Step[]): Delta[] {
  const deltas: Delta[] = [];
  for (const step of steps) {
    const builder = createDeltaBuilder({
      creator: step.creator,
      host: 'h',
      timeCreated: step.time,
    });
    if (step.kind === 'set') {
      builder.set('e', { [step.property]: step.value });
      if (step.tx !== undefined) builder.inTransaction(step.tx);
    } else if (step.kind === 'negate') {
      if (deltas.length === 0) continue;
      builder.negate(deltas[step.target % deltas.length]!.id);
    } else builder.declareTransaction(step.tx, step.size);
    deltas.push(builder.build());
  }
  return deltas;
}

const resolverArb = fc.constantFrom<ResolverSpec>(
  'lww',
  'fww',
  'min',
  'max',
  'sum',
  'count',
  'majority',
  'set',
  'list',
  'concat',
  {
    kind: 'lww',
    tieBreak: 'creator',
  },
);

describe('inspectEntity (properties)', () => {
  it('agrees with the view store on values and visibility, and lists every stored delta', () => {
    assertProperty(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 14 }),
        resolverArb,
        fc.option(fc.integer({ min: 0, max: 13 }), { nil: undefined }),
        (steps, resolver, asOf) => {
          const deltas = buildHistory(steps);
          const schema = defineSchema({
            name: 's',
            properties: {
              p: prop.any({ resolver }),
              q: prop.number({ resolver: { kind: 'lww', tieBreak: 'creator' } }),
            },
          });
          const store = createViewStore({ schemas: [schema] });
          store.ingestMany(deltas);
          const read = asOf === undefined ? {} : { asOf };
          const closure = store.closure('e');

          for (const [options, expected] of [
            [{ schema }, store.resolve(schema, 'e', read)],
            [{}, store.view('e', read)],
          ] as const) {
            const inspection = inspectEntity(closure, 'e', { ...options, ...read });
            const values = Object.fromEntries(
              inspection.properties.filter((p) => 'value' in p).map((p) => [p.name, p.value]),
            );
            expect(values).toEqual(expected);

            const hyperview = store.hyperview('e', read);
            const stored = store.index.entityProperties('e');
            for (const property of inspection.properties) {
              const rows = property.deltas;
              expect(rows.map((row) => row.delta.id)).toEqual(
                (stored?.get(property.name) ?? []).map((delta) => delta.id),
              );
              expect(
                rows.filter((row) => row.status === 'visible').map((row) => row.delta.id),
              ).toEqual((hyperview.properties.get(property.name) ?? []).map((delta) => delta.id));
              for (const row of rows) {
                if (row.chosen) expect(row.status).toBe('visible');
                if (row.status === 'after-as-of')
                  expect(row.delta.timeCreated).toBeGreaterThan(asOf!);
                if (row.status === 'negated') expect(row.negatedBy.length).toBeGreaterThan(0);
                if (asOf !== undefined && row.delta.timeCreated > asOf)
                  expect(row.status).toBe('after-as-of');
                if (row.status === 'pending-transaction')
                  expect(row.transactions.length).toBeGreaterThan(0);
              }
              const chosen = rows.filter((row) => row.chosen);
              const single = property.resolver === 'fww' || property.resolver?.startsWith('lww');
              if (single && 'value' in property && property.value !== undefined) {
                expect(chosen).toHaveLength(1);
                expect(chosen[0]!.value).toEqual(property.value);
              }
            }
          }
        },
      ),
      200,
    );
  });
});
