// Property tests of the encoding and the content id. Seeded: RHIZOME_SEED=<n> replays a run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentArb, nameArb, pointerArb, primitiveArb, shuffleKeys, timeCreatedArb } from '../test/arbitraries.ts';
import { assertProperty } from '@rhizome/vitest-config/seed';
import { canonicalJson, encodeCanonicalContent } from './canonical.ts';
import { createDelta } from './create.ts';
import { computeDeltaId } from './id.ts';
import { parseDelta, parseDeltaJson } from './parse.ts';
import type { DeltaContent, Pointer } from './types.ts';

/** A seeded random number generator for key shuffling inside a property. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

describe('encoding and content id (properties)', () => {
  it('round-trips: JSON of a delta parses back to the same content and id', () => {
    assertProperty(
      fc.property(contentArb, (content) => {
        const delta = createDelta(content);
        const text = JSON.stringify(delta);
        const parsed = parseDeltaJson(text);
        expect(parsed.id).toBe(delta.id);
        expect(encodeCanonicalContent(parsed)).toBe(encodeCanonicalContent(delta));
        expect(JSON.stringify(parsed)).toBe(text);
      }),
    );
  });

  it('round-trips the canonical encoding itself: decode then encode gives the same text', () => {
    assertProperty(
      fc.property(contentArb, (content) => {
        const encoded = encodeCanonicalContent(content);
        expect(encodeCanonicalContent(JSON.parse(encoded))).toBe(encoded);
      }),
    );
  });

  it('writes the same text as the general canonicalJson (built on JSON.stringify)', () => {
    // Strings made of exactly the characters that need escaping, to stress the fast quoting path.
    const trickyString = fc.string({
      unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\ud800', '\udc00', '😀', 'a', 'é', '\u2028'),
      minLength: 1,
      maxLength: 8,
    });
    const trickyContent = fc.record({
      timeCreated: timeCreatedArb,
      host: trickyString,
      creator: nameArb,
      pointers: fc.array(
        fc.oneof(
          fc.record({ localContext: trickyString, target: fc.oneof(trickyString, primitiveArb) }),
          fc.record({ localContext: nameArb, target: fc.record({ id: trickyString }), targetContext: trickyString }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    });
    assertProperty(
      fc.property(fc.oneof(contentArb, trickyContent), (content) => {
        expect(encodeCanonicalContent(content)).toBe(canonicalJson(content));
      }),
      { numRuns: 300 },
    );
  });

  it('is stable under key reordering and re-encoding', () => {
    assertProperty(
      fc.property(contentArb, fc.integer(), (content, shuffleSeed) => {
        const delta = createDelta(content);
        const reordered = shuffleKeys(JSON.parse(JSON.stringify(delta)), createRandom(shuffleSeed)) as typeof delta;
        expect(computeDeltaId(reordered)).toBe(delta.id);
        expect(parseDelta(reordered).id).toBe(delta.id);
        // Re-encoding twice more changes nothing.
        const again = JSON.parse(JSON.stringify(reordered));
        expect(parseDelta(again).id).toBe(delta.id);
      }),
    );
  });

  it('changes the id when any field changes', () => {
    const mutation = fc.oneof(
      timeCreatedArb.map((timeCreated) => (c: DeltaContent): DeltaContent => ({ ...c, timeCreated })),
      nameArb.map((host) => (c: DeltaContent): DeltaContent => ({ ...c, host })),
      nameArb.map((creator) => (c: DeltaContent): DeltaContent => ({ ...c, creator })),
      pointerArb.map((pointer) => (c: DeltaContent): DeltaContent => ({ ...c, pointers: [...c.pointers, pointer] })),
      fc.tuple(fc.nat(), pointerArb).map(([i, pointer]) => (c: DeltaContent): DeltaContent => ({
        ...c,
        pointers: c.pointers.map((p, j) => (j === i % c.pointers.length ? pointer : p)),
      })),
      fc.tuple(fc.nat(), nameArb).map(([i, localContext]) => (c: DeltaContent) => editPointer(c, i, (p) => ({ ...p, localContext }))),
      fc.tuple(fc.nat(), primitiveArb).map(([i, target]) => (c: DeltaContent) =>
        editPointer(c, i, (p) => ({ localContext: p.localContext, target })),
      ),
      fc.tuple(fc.nat(), nameArb).map(([i, id]) => (c: DeltaContent) =>
        editPointer(c, i, (p) => (typeof p.target === 'object' && p.target !== null ? { ...p, target: { id } } : p)),
      ),
      fc.tuple(fc.nat(), fc.option(nameArb, { nil: undefined })).map(([i, targetContext]) => (c: DeltaContent) =>
        editPointer(c, i, (p) =>
          typeof p.target === 'object' && p.target !== null
            ? targetContext === undefined
              ? { localContext: p.localContext, target: p.target }
              : { ...p, targetContext }
            : p,
        ),
      ),
      fc.constant((c: DeltaContent): DeltaContent => ({ ...c, pointers: c.pointers.slice(0, -1) })),
      fc.constant((c: DeltaContent): DeltaContent => ({ ...c, pointers: [...c.pointers].reverse() })),
    );
    assertProperty(
      fc.property(contentArb, mutation, (content, mutate) => {
        const changed = mutate(content);
        fc.pre(changed.pointers.length > 0);
        // Only a change of the content counts: 1.0 → 1 or -0 → 0 is no change at all.
        fc.pre(encodeCanonicalContent(changed) !== encodeCanonicalContent(content));
        expect(computeDeltaId(changed)).not.toBe(computeDeltaId(content));
      }),
      { numRuns: 300 },
    );
  });
});

function editPointer(content: DeltaContent, index: number, edit: (pointer: Pointer) => Pointer): DeltaContent {
  const at = index % content.pointers.length;
  return { ...content, pointers: content.pointers.map((p, j) => (j === at ? edit(p) : p)) };
}
