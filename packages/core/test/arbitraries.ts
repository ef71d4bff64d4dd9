// fast-check arbitraries for wire-format values, shared by the property tests.
import fc from 'fast-check';
import { DeltaLimits } from '../src/limits.ts';
import type { DeltaContent, Pointer, Primitive, Reference } from '../src/types.ts';

/** Names (contexts, hosts, entity ids) with any unicode, including astral and escaped characters. */
export const nameArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.constantFrom('entity', 'name', 'negates', 'negated_by', '_transaction', 'size', 'deltas', 'é', '😀', '"\\\n'),
);

export const primitiveArb: fc.Arbitrary<Primitive> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

export const referenceArb: fc.Arbitrary<Reference> = fc.record({ id: nameArb });

export const pointerArb: fc.Arbitrary<Pointer> = fc.oneof(
  fc.record({ localContext: nameArb, target: primitiveArb }),
  fc.record({ localContext: nameArb, target: referenceArb }),
  fc.record({ localContext: nameArb, target: referenceArb, targetContext: nameArb }),
);

export const timeCreatedArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 2_000_000_000 }).map((seconds) => seconds * 1000 + (seconds % 1000)),
  fc.maxSafeNat().map((n) => n % (DeltaLimits.maxTimeCreated + 1)),
  fc.constantFrom(0, DeltaLimits.maxTimeCreated),
);

export const contentArb: fc.Arbitrary<DeltaContent> = fc.record({
  timeCreated: timeCreatedArb,
  host: nameArb,
  creator: nameArb,
  pointers: fc.array(pointerArb, { minLength: 1, maxLength: 5 }),
});

/** A deep copy of a JSON value whose object keys come in a random order. */
export function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, random));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = shuffleKeys((value as Record<string, unknown>)[key], random);
  return out;
}
