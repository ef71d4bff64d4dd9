import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importLegacyDeltas } from '@rhizome/core';
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  legacyDelta,
  legacyNegation,
  legacySet,
  writeLegacyStore,
  type LegacyDelta,
} from '../test/rhizome-node-layout.ts';
import { createRhizomeNodeConverter, type DanglingNegations } from './rhizome-node-convert.ts';
import { openRhizomeNodeStore } from './rhizome-node-store.ts';

// The store-backed converter (negated deltas looked up one by one, a bounded id cache) must give
// exactly what core's whole-batch legacy import gives for the same deltas.

let dir: string;
let stores = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-node-convert-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function convertStore(
  deltas: readonly LegacyDelta[],
  dangling: DanglingNegations,
  cacheSize?: number,
): Promise<{ ids: string[]; dropped: number }> {
  const path = join(dir, `store-${stores++}`);
  await writeLegacyStore(path, deltas);
  const store = await openRhizomeNodeStore(path);
  try {
    const converter = createRhizomeNodeConverter(store, dangling, cacheSize);
    const ids = new Set<string>();
    let dropped = 0;
    for await (const entry of store.entries()) {
      const delta = await converter.convert(entry);
      if (delta === undefined) dropped += 1;
      else ids.add(delta.id);
    }
    return { ids: [...ids].sort(), dropped };
  } finally {
    await store.close();
  }
}

type Op =
  | { kind: 'set'; entity: number; property: string; value: number; milliseconds: boolean }
  | { kind: 'negate'; target: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    entity: fc.integer({ min: 0, max: 3 }),
    property: fc.constantFrom('name', 'age'),
    value: fc.integer({ min: 0, max: 5 }),
    milliseconds: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('negate' as const), target: fc.nat() }),
);

/** A history in delivery order: a negation negates a delta made before it (maybe a negation). */
function buildHistory(ops: readonly Op[]): LegacyDelta[] {
  const deltas: LegacyDelta[] = [];
  let ms = 1_700_000_000_000;
  for (const op of ops) {
    if (op.kind === 'set') {
      deltas.push(
        legacySet('lentil', `e${op.entity}`, op.property, op.value, {
          ...(op.milliseconds ? { timeCreated: (ms += 7) } : {}),
        }),
      );
    } else if (deltas.length > 0) {
      deltas.push(legacyNegation('moderator', deltas[op.target % deltas.length]!));
    }
  }
  return deltas;
}

describe('rhizome-node store conversion', () => {
  it('gives the deltas core’s batch import gives, in any key order and with any cache size', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(1, 2, 10_000),
        async (ops, cacheSize) => {
          const deltas = buildHistory(ops);
          const expected = importLegacyDeltas(deltas)
            .deltas.map((delta) => delta.id)
            .sort();
          const { ids, dropped } = await convertStore(deltas, 'error', cacheSize);
          expect(dropped).toBe(0);
          expect(ids).toEqual([...new Set(expected)]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('keeps or drops negations of deltas the store lacks, as asked', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 2, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        async (ops, missing) => {
          const deltas = buildHistory(ops);
          if (deltas.length === 0) return;
          const lost = new Set(missing.map((i) => deltas[i % deltas.length]!.id));
          const stored = deltas.filter((delta) => !lost.has(delta.id));
          const expected = importLegacyDeltas(stored, { unresolvedNegations: 'keep' })
            .deltas.map((delta) => delta.id)
            .sort();
          expect((await convertStore(stored, 'keep', 2)).ids).toEqual([...new Set(expected)]);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('follows a long chain of negations of negations without recursion', async () => {
    const chain: LegacyDelta[] = [legacySet('lentil', 'x', 'n', 1)];
    for (let i = 0; i < 2000; i += 1) chain.push(legacyNegation('lentil', chain[i]!));
    const expected = importLegacyDeltas(chain).deltas.map((delta) => delta.id);
    expect((await convertStore(chain, 'error')).ids).toEqual([...expected].sort());
  });

  it('refuses negations that form a cycle, and a delta that negates itself', async () => {
    const a = legacyDelta('lentil', []);
    const b = legacyDelta('lentil', []);
    const negates = (id: string) => [
      { localContext: '_negates', target: id, targetContext: 'negated_by' },
    ];
    const cycle = [
      { ...a, pointers: negates(b.id) },
      { ...b, pointers: negates(a.id) },
    ];
    await expect(convertStore(cycle, 'keep')).rejects.toMatchObject({
      code: 'LEGACY_IMPORT_INVALID',
      message: expect.stringContaining('cycle') as unknown,
    });
    await expect(convertStore([{ ...a, pointers: negates(a.id) }], 'keep')).rejects.toMatchObject({
      code: 'LEGACY_IMPORT_INVALID',
    });
  });
});
