// Property test: over random histories (values of every kind, references that may dangle,
// negations of data and of negations, asOf), the validation report of every instance, and the
// list of invalid ones, equal a straightforward oracle computed from the history itself.
import { compareDeltas, createDeltaBuilder, type Delta, type PropertyValue } from '@rhizome/core';
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listInvalidEntities } from './list-invalid-entities.ts';
import { defineSchema, prop } from './schema.ts';
import { validateEntity, type ValidationProblem, type ValidationReport } from './validate.ts';
import { createViewStore } from './view-store.ts';

const tag = defineSchema({ name: 'tag', properties: { label: prop.string() } });
const person = defineSchema({
  name: 'person',
  properties: {
    name: prop.string({ required: true }),
    age: prop.number(),
    tags: prop.references('tag', { required: true }),
    best: prop.reference('person'),
  },
});
const PERSON_PROPERTIES = ['name', 'age', 'tags', 'best'] as const;

type Step =
  | { kind: 'set'; entity: string; property: string; value: PropertyValue; time: number }
  | { kind: 'negate'; target: number; time: number };

const valueArb: fc.Arbitrary<PropertyValue> = fc.oneof(
  fc.constantFrom('x', 'y', ''),
  fc.integer({ min: -2, max: 2 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('e0', 'e1', 'e2', 't0', 't1', 'ghost').map((id) => ({ id })),
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      entity: fc.constantFrom('e0', 'e1', 'e2', 'e3', 't0', 't1'),
      property: fc.constantFrom('name', 'age', 'tags', 'best', 'label', 'other'),
      value: valueArb,
      time: fc.integer({ min: 1, max: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('negate' as const),
      target: fc.nat(),
      time: fc.integer({ min: 1, max: 8 }),
    }),
  },
);

interface Written {
  readonly delta: Delta;
  readonly entity?: string;
  readonly property?: string;
  readonly value?: PropertyValue;
  readonly negates?: number;
}

function buildHistory(steps: readonly Step[]): Written[] {
  const written: Written[] = [];
  for (const step of steps) {
    const builder = createDeltaBuilder({ creator: 'alice', host: 'h', timeCreated: step.time });
    if (step.kind === 'set') {
      const { entity, property, value } = step;
      written.push({
        delta: builder.set(entity, { [property]: value }).build(),
        entity,
        property,
        value,
      });
    } else if (written.length > 0) {
      // Only earlier deltas are negated (negations included), so there is no cycle to decide.
      const negates = step.target % written.length;
      written.push({ delta: builder.negate(written[negates]!.delta.id).build(), negates });
    }
  }
  return written;
}

const describeWritten = (value: PropertyValue): string =>
  value === null ? 'null' : typeof value === 'object' ? 'reference' : typeof value;

// The oracle: visibility straight from the definition (a delta exists at asOf; it is visible
// unless a visible negation names it), then each rule of the report applied by hand.
function oracle(written: readonly Written[], asOf: number | undefined): ValidationReport[] {
  const exists = (w: Written) => asOf === undefined || w.delta.timeCreated <= asOf;
  const visible = new Array<boolean>(written.length).fill(false);
  for (let i = written.length - 1; i >= 0; i--) {
    const id = written[i]!.delta.id;
    visible[i] =
      exists(written[i]!) &&
      !written.some(
        (w, j) =>
          j > i && visible[j] && w.negates !== undefined && written[w.negates]!.delta.id === id,
      );
  }
  // A delta written twice is one delta: visible when any copy's reasoning says so (they agree).
  const byId = new Map<string, Written>();
  written.forEach((w, i) => {
    if (visible[i] && w.property !== undefined) byId.set(w.delta.id, w);
  });
  const sets = [...byId.values()].sort((a, b) => compareDeltas(a.delta, b.delta));
  const under = (entity: string, property: string) =>
    sets.filter((w) => w.entity === entity && w.property === property);
  const isPerson = (id: string) => PERSON_PROPERTIES.some((p) => under(id, p).length > 0);
  const isTag = (id: string) => under(id, 'label').length > 0;
  const kinds = { name: 'string', age: 'number', tags: 'reference', best: 'reference' } as const;
  const ofKind = (property: keyof typeof kinds, value: PropertyValue) =>
    kinds[property] === 'reference'
      ? typeof value === 'object' && value !== null
      : typeof value === kinds[property];

  const entities = [...new Set(sets.map((w) => w.entity!))].filter(isPerson).sort();
  return entities.map((id) => {
    const problems: ValidationProblem[] = [];
    for (const property of PERSON_PROPERTIES) {
      const all = under(id, property);
      const good = all.filter((w) => ofKind(property, w.value!));
      const bad = all.filter((w) => !ofKind(property, w.value!));
      if ((property === 'name' || property === 'tags') && good.length === 0)
        problems.push({ property, code: 'MISSING' });
      if (bad.length > 0) {
        problems.push({
          property,
          code: 'IGNORED_VALUES',
          expected: kinds[property],
          found: [...new Set(bad.map((w) => describeWritten(w.value!)))],
          deltas: bad.slice(0, 10).map((w) => w.delta.id),
          count: bad.length,
        });
      }
      if (good.length === 0) continue;
      const ref = (w: Written) => (w.value as { id: string }).id;
      if (property === 'tags') {
        const unresolved = [...new Set(good.map(ref))].filter((t) => !isTag(t));
        if (unresolved.length > 0)
          problems.push({
            property,
            code: 'REFERENCE_UNRESOLVED',
            target: 'tag',
            ids: unresolved,
            count: unresolved.length,
          });
      }
      if (property === 'best') {
        const winner = ref(good.at(-1)!); // last in total order: last-write-wins
        if (!isPerson(winner))
          problems.push({
            property,
            code: 'REFERENCE_UNRESOLVED',
            target: 'person',
            ids: [winner],
            count: 1,
          });
      }
    }
    return { id, schema: 'person', valid: problems.length === 0, problems };
  });
}

describe('validation (properties)', () => {
  it('equals the oracle over random histories with negations, in any delivery order', () => {
    assertProperty(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 30 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.func(fc.integer()),
        (steps, asOf, rank) => {
          const written = buildHistory(steps);
          const order = written
            .map((w, i) => ({ delta: w.delta, r: rank(i) }))
            .sort((a, b) => a.r - b.r)
            .map((entry) => entry.delta);
          const store = createViewStore({ schemas: [person, tag] });
          store.ingestMany(order);
          const read = asOf === undefined ? {} : { asOf };
          const expected = oracle(written, asOf);
          const ids = expected.map((report) => report.id);
          expect(store.query(person, read).ids).toEqual(ids);
          for (const report of expected)
            expect(validateEntity(store, person, report.id, read)).toEqual(report);
          const invalid = expected.filter((report) => !report.valid);
          expect(listInvalidEntities(store, person, read).reports).toEqual(invalid);
          // Paged one at a time, the pages add up to the same list.
          const paged: ValidationReport[] = [];
          let cursor: string | undefined;
          for (let i = 0; i <= invalid.length; i++) {
            const page = listInvalidEntities(store, person, {
              ...read,
              limit: 1,
              ...(cursor === undefined ? {} : { cursor }),
            });
            paged.push(...page.reports);
            if (page.nextCursor === undefined) break;
            cursor = page.nextCursor;
          }
          expect(paged).toEqual(invalid);
        },
      ),
      { numRuns: 300 },
    );
  });
});
