/**
 * Issue 14 part 1: cached views follow each ingest incrementally, per (entity, property), for
 * every built-in resolver. After every batch, each cached (and subscribed) view must equal, byte
 * for byte, what a fresh store resolves from scratch (a read with `asOf` bypasses every cache and
 * runs the resolvers over the visible entries).
 */
import { compareDeltas, createDeltaBuilder, type Delta } from '@rhizome/core';
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createViewStore,
  defineSchema,
  prop,
  type Resolver,
  type Schema,
  type ViewStore,
} from '../src/index.ts';
import { stableStringify } from '../src/value.ts';
import {
  CREATORS,
  deltaSetArbitrary,
  ENTITIES,
  ingestPlanArbitrary,
  LINKS,
  PROPERTIES,
  TRANSACTIONS,
} from './arbitraries.ts';

const last: Resolver = { name: 'last-entry', resolve: (entries) => entries.at(-1)?.value };

const SCHEMAS: readonly Schema[] = [
  defineSchema({
    name: 'winners',
    properties: {
      p0: prop.any({ resolver: 'lww' }),
      p1: prop.any({ resolver: 'fww' }),
      p2: prop.number({ resolver: 'min' }),
      [LINKS]: prop.any({ resolver: { kind: 'lww', tieBreak: 'value' } }),
      back: prop.any({ resolver: { kind: 'lww', tieBreak: 'creator' } }),
    },
  }),
  defineSchema({
    name: 'totals',
    properties: {
      p0: prop.number({ resolver: 'sum' }),
      p1: prop.number({ resolver: 'average' }),
      p2: prop.any({ resolver: 'count' }),
      [LINKS]: prop.any({ resolver: 'majority' }),
      back: prop.number({ resolver: 'count' }),
    },
  }),
  defineSchema({
    name: 'sequences',
    properties: {
      p0: prop.string({ resolver: { kind: 'concat', separator: ',' } }),
      p1: prop.any({ resolver: 'set' }),
      p2: prop.any({ resolver: 'list' }),
      [LINKS]: prop.references('winners', { resolver: 'set' }),
      back: prop.any({ resolver: 'concat' }),
    },
  }),
  defineSchema({
    name: 'mixed',
    properties: {
      p0: prop.any({ resolver: 'majority' }),
      p1: prop.number({ resolver: 'max' }),
      p2: prop.number({ resolver: 'sum' }),
      [LINKS]: prop.any({ resolver: 'list' }),
      back: prop.any({ resolver: last }),
    },
  }),
  defineSchema({
    name: 'ties',
    properties: {
      p0: prop.number({ resolver: 'average' }),
      p1: prop.any({ resolver: { kind: 'lww', tieBreak: 'host' } }),
      p2: prop.number({ resolver: 'max' }),
    },
  }),
];

const SUBJECTS = [...ENTITIES, ...TRANSACTIONS];
/** A read that bypasses every cache: resolution from scratch over the same visible deltas. */
const FROM_SCRATCH = { asOf: Number.MAX_SAFE_INTEGER };
// Floats whose sums depend on the order of addition, and integers beyond exact float range.
const NUMBERS = [0.1, 0.2, 0.3, -0.1, 1e16, -1e16, 2 ** 53, 3, -0, 0.5];

/**
 * The random delta sets of the other property tests, plus: float and huge values, negations of
 * the latest write of a property (often the last-write-wins winner, or the extreme), and
 * negations of those negations (which restore the winner), some inside transactions.
 */
const casesArbitrary = deltaSetArbitrary.chain((base) =>
  fc
    .tuple(
      fc.array(
        fc.record({
          entity: fc.nat(ENTITIES.length - 1),
          property: fc.nat(PROPERTIES.length - 1),
          value: fc.nat(NUMBERS.length - 1),
          time: fc.integer({ min: 0, max: 12 }),
          creator: fc.nat(CREATORS.length - 1),
        }),
        { maxLength: 8 },
      ),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      fc.boolean(),
    )
    .map(([floats, negated, restored, inTransaction]) => {
      const deltas: Delta[] = [...base];
      for (const f of floats) {
        const builder = createDeltaBuilder({
          creator: CREATORS[f.creator]!,
          host: `h${f.value % 2}`,
          timeCreated: f.time,
        });
        deltas.push(
          builder
            .set(ENTITIES[f.entity]!, { [PROPERTIES[f.property]!]: NUMBERS[f.value]! })
            .build(),
        );
      }
      const writes = deltas.filter((d) =>
        d.pointers.some((p) => PROPERTIES.includes(p.localContext)),
      );
      // Latest writes first: those are the winners a negation most often removes.
      const latest = [...writes].sort((a, b) => compareDeltas(b, a));
      const negations: Delta[] = [];
      negated.forEach((n, i) => {
        const target = latest[n % Math.max(1, Math.min(latest.length, 4))];
        if (target === undefined) return;
        const builder = createDeltaBuilder({
          creator: CREATORS[i % CREATORS.length]!,
          host: 'h',
          timeCreated: 13,
        }).negate(target.id);
        if (inTransaction && i === 0) builder.inTransaction(TRANSACTIONS[0]!);
        negations.push(builder.build());
      });
      const restorations = restored.flatMap((n) => {
        const target = negations[n % Math.max(1, negations.length)];
        return target === undefined
          ? []
          : [
              createDeltaBuilder({ creator: 'c0', host: 'h', timeCreated: 14 })
                .negate(target.id)
                .build(),
            ];
      });
      const all = [...deltas, ...negations, ...restorations];
      return [...new Map(all.map((d) => [d.id, d])).values()];
    }),
);

function fromScratch(deltas: readonly Delta[]): ViewStore {
  const store = createViewStore({ schemas: SCHEMAS });
  store.ingestMany(deltas);
  return store;
}

/** Same structure and same JSON, and no +0/-0 or NaN confusion either (toEqual uses Object.is). */
function expectSame(actual: unknown, expected: unknown, label: string): void {
  expect(actual, label).toEqual(expected);
  expect(stableStringify(actual), label).toBe(stableStringify(expected));
}

describe('incremental resolvers (property)', () => {
  it('after every batch, every cached and subscribed view equals a fresh store resolving from scratch', () => {
    assertProperty(
      fc.property(
        casesArbitrary.chain((deltas) =>
          fc.tuple(fc.constant(deltas), ingestPlanArbitrary(deltas)),
        ),
        ([, plan]) => {
          const store = createViewStore({ schemas: SCHEMAS });
          const heard = new Map<string, unknown>();
          for (const schema of SCHEMAS) {
            for (const entityId of SUBJECTS) {
              store.subscribe(entityId, (view) => heard.set(`${schema.name}:${entityId}`, view), {
                schema,
              });
            }
          }
          for (const entityId of SUBJECTS)
            store.subscribe(entityId, (view) => heard.set(`:${entityId}`, view));
          const seen: Delta[] = [];
          for (const batch of plan.batches) {
            if (batch.length === 1) store.ingest(batch[0]!);
            else store.ingestMany(batch);
            seen.push(...batch);
            const scratch = fromScratch(seen);
            for (const entityId of SUBJECTS) {
              for (const schema of SCHEMAS) {
                const expected = scratch.resolve(schema, entityId, FROM_SCRATCH);
                expectSame(store.resolve(schema, entityId), expected, `${schema.name}:${entityId}`);
                const last = heard.get(`${schema.name}:${entityId}`);
                if (last !== undefined)
                  expectSame(last, expected, `heard ${schema.name}:${entityId}`);
              }
              const expected = scratch.view(entityId, FROM_SCRATCH);
              expectSame(store.view(entityId), expected, `view ${entityId}`);
              const last = heard.get(`:${entityId}`);
              if (last !== undefined) expectSame(last, expected, `heard view ${entityId}`);
            }
          }
        },
      ),
      150,
    );
  });
});
