// Property test: whatever sequence of builder calls succeeds, build() gives a valid delta.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameArb, pointerArb, primitiveArb, referenceArb, timeCreatedArb } from '../test/arbitraries.ts';
import { assertProperty } from '@rhizome/vitest-config/seed';
import { createDeltaBuilder, type DeltaBuilder, type PropertyValue } from './builder.ts';
import { isRhizomeError } from './errors.ts';
import { parseDeltaJson } from './parse.ts';

type Step = (builder: DeltaBuilder) => void;

const valueArb: fc.Arbitrary<PropertyValue> = fc.oneof(primitiveArb, referenceArb);
const smallName = fc.constantFrom('name', 'age', 'city', 'size', 'a', 'b');

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc
    .tuple(fc.oneof(nameArb, referenceArb), fc.dictionary(fc.oneof(smallName, nameArb), valueArb, { minKeys: 1, maxKeys: 3 }))
    .map(([entity, properties]) => (b: DeltaBuilder) => void b.set(entity, properties)),
  fc
    .array(fc.record({ entity: fc.oneof(nameArb, referenceArb), property: nameArb, role: fc.option(nameArb, { nil: undefined }) }), {
      minLength: 2,
      maxLength: 3,
    })
    .map((ends) => (b: DeltaBuilder) => void b.relate(...ends.map(({ role, ...end }) => (role === undefined ? end : { ...end, role })))),
  pointerArb.map((pointer) => (b: DeltaBuilder) => void b.pointer(pointer)),
  nameArb.map((id) => (b: DeltaBuilder) => void b.negate(id)),
  fc.tuple(nameArb, fc.integer({ min: 1, max: 50 })).map(([tx, size]) => (b: DeltaBuilder) => void b.declareTransaction(tx, size)),
  nameArb.map((tx) => (b: DeltaBuilder) => void b.inTransaction(tx)),
);

describe('builder (properties)', () => {
  it('always builds a delta that validates, whatever calls succeeded before', () => {
    assertProperty(
      fc.property(nameArb, nameArb, timeCreatedArb, fc.array(stepArb, { minLength: 1, maxLength: 6 }), (creator, host, time, steps) => {
        const builder = createDeltaBuilder({ creator, host, timeCreated: time });
        for (const step of steps) {
          try {
            step(builder);
          } catch (error) {
            // The only expected refusal: two values for one property name. The builder stays usable.
            if (!isRhizomeError(error, 'BUILDER_CONFLICT')) throw error;
          }
        }
        fc.pre(builder.pointers().length > 0);
        const delta = builder.build();
        expect(Object.isFrozen(delta)).toBe(true);
        expect(parseDeltaJson(JSON.stringify(delta))).toEqual(delta);
      }),
      { numRuns: 200 },
    );
  });
});
