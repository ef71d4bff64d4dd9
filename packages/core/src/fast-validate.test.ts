// The hand-written fast path must agree with the zod schemas, which stay the source of truth.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentArb, nameArb, primitiveArb } from '../test/arbitraries.ts';
import type { WireJson } from '../test/fixtures.ts';
import { assertProperty } from '@rhizome/vitest-config/seed';
import { createDelta } from './create.ts';
import { isValidDeltaContentShape, isValidDeltaShape } from './fast-validate.ts';
import { DeltaLimits } from './limits.ts';
import { deltaContentSchema, deltaSchema } from './schema.ts';

/** Values that are wrong in interesting ways, for any field. */
const oddValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    '',
    'x'.repeat(DeltaLimits.maxNameLength + 1),
    'x'.repeat(DeltaLimits.maxNameLength),
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    -0,
    1.5,
    DeltaLimits.maxTimeCreated,
    DeltaLimits.maxTimeCreated + 1,
    Number.MAX_SAFE_INTEGER + 2,
    true,
    [],
    {},
    { id: 'e' },
    { id: '' },
    { id: 'e', extra: 1 },
    { id: 5 },
    [{ localContext: 'p', target: 1 }],
    'A'.repeat(43),
    'A'.repeat(42) + '=',
  ),
  primitiveArb,
  nameArb,
  fc.anything({ maxDepth: 2 }),
);

const pathChoices = [
  ['id'],
  ['timeCreated'],
  ['host'],
  ['creator'],
  ['pointers'],
  ['signature'],
  ['extra'],
  ['pointers', 0],
  ['pointers', 0, 'localContext'],
  ['pointers', 0, 'target'],
  ['pointers', 0, 'targetContext'],
  ['pointers', 0, 'target', 'id'],
  ['pointers', 0, 'extra'],
  ['pointers', 'last', 'target'],
  ['pointers', 'last', 'targetContext'],
] as const;

/** Sets (or, for undefined, deletes) the value at a path in a JSON copy. */
function corrupt(value: Record<string, unknown>, path: readonly (string | number)[], replacement: unknown, remove: boolean): unknown {
  const copy: WireJson = JSON.parse(JSON.stringify(value));
  let parent: WireJson = copy;
  for (let i = 0; i < path.length - 1; i++) {
    let key: string | number = path[i]!;
    if (key === 'last') key = parent.length - 1;
    if (parent[key] === null || typeof parent[key] !== 'object') return copy;
    parent = parent[key];
  }
  let last: string | number = path[path.length - 1]!;
  if (last === 'last') last = parent.length - 1;
  if (remove) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

const deltaArb = contentArb.map((content) => createDelta(content) as unknown as Record<string, unknown>);

const candidateArb = fc.oneof(
  { weight: 1, arbitrary: deltaArb },
  {
    weight: 4,
    arbitrary: fc
      .tuple(deltaArb, fc.constantFrom(...pathChoices), oddValueArb, fc.boolean())
      .map(([delta, path, replacement, remove]) => corrupt(delta, path, replacement, remove)),
  },
  { weight: 1, arbitrary: fc.anything() },
);

describe('fast-path validation', () => {
  it('accepts exactly what deltaSchema accepts', () => {
    const seen = { valid: 0, invalid: 0 };
    assertProperty(
      fc.property(candidateArb, (candidate) => {
        const expected = deltaSchema.safeParse(candidate).success;
        seen[expected ? 'valid' : 'invalid']++;
        expect(isValidDeltaShape(candidate)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
    // Both sides of the question were asked often enough to mean something.
    expect(seen.valid).toBeGreaterThan(100);
    expect(seen.invalid).toBeGreaterThan(300);
  });

  it('accepts exactly what deltaContentSchema accepts', () => {
    const contentCandidate = candidateArb.map((candidate) => {
      if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) return candidate;
      const { id: _id, signature: _signature, ...content } = candidate as Record<string, unknown>;
      return content;
    });
    assertProperty(
      fc.property(contentCandidate, (candidate) => {
        expect(isValidDeltaContentShape(candidate)).toBe(deltaContentSchema.safeParse(candidate).success);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees on hand-picked edge cases', () => {
    const delta = createDelta({ timeCreated: 1, host: 'h', creator: 'c', pointers: [{ localContext: 'p', target: { id: 'e' }, targetContext: 'q' }] });
    const cases: unknown[] = [
      delta,
      { ...delta, signature: '' },
      { ...delta, signature: undefined },
      { ...delta, timeCreated: -0 },
      { ...delta, pointers: [{ localContext: 'p', target: 1, targetContext: undefined }] },
      { ...delta, pointers: [{ localContext: 'p', target: null, targetContext: 'q' }] },
      { ...delta, pointers: [{ localContext: 'p', target: { id: 'e' } }] },
      { ...delta, pointers: [{ localContext: 'p', target: 'x'.repeat(DeltaLimits.maxStringLength) }] },
      { ...delta, pointers: [{ localContext: 'p', target: 'x'.repeat(DeltaLimits.maxStringLength + 1) }] },
      { ...delta, pointers: Array.from({ length: DeltaLimits.maxPointers }, () => ({ localContext: 'p', target: 1 })) },
      { ...delta, pointers: Array.from({ length: DeltaLimits.maxPointers + 1 }, () => ({ localContext: 'p', target: 1 })) },
      Object.assign(Object.create({ inherited: 1 }), delta),
      Object.assign(Object.create(null), delta),
      new Date(),
    ];
    for (const candidate of cases) {
      expect(isValidDeltaShape(candidate)).toBe(deltaSchema.safeParse(candidate).success);
    }
  });
});
