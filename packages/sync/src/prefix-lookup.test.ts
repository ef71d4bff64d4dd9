import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createMemorySyncStore } from './memory-store.ts';
import { listIdsWithPrefixes } from './prefix-lookup.ts';

const seed = Number(process.env.RHIZOME_SEED ?? 6);

describe(`listIdsWithPrefixes (seed ${seed})`, () => {
  it('finds exactly the ids with the prefixes, in a few range reads instead of one per prefix', async () => {
    const store = createMemorySyncStore();
    const deltas = Array.from({ length: 2_000 }, (_, i) =>
      createDeltaBuilder({ creator: 'c', host: 'h', timeCreated: seed * 10_000 + i })
        .set(`e-${i}`, { n: i })
        .build(),
    );
    await store.appendBatch(deltas);
    const ids = deltas.map((delta) => delta.id);
    const wanted = ids.filter((_, i) => i % 3 === 0);
    // Held prefixes of 12 and 20 characters, and prefixes of nothing held.
    const prefixes = [
      ...wanted.map((id, i) => id.slice(0, i % 2 === 0 ? 12 : 20)),
      ...ids.slice(0, 300).map((id) => `${id.slice(0, 11)}${id[11] === '-' ? '_' : '-'}`),
    ].slice(0, 1_024);
    let reads = 0;
    const counted = {
      listIds: (lower?: string, upper?: string) => (reads++, store.listIds(lower, upper)),
    };
    const found = await listIdsWithPrefixes(counted, prefixes, {
      estimatedIds: 2_000,
      idsPerRead: 4_096,
      yieldTurn: async () => undefined,
    });
    const expected = ids.filter((id) => prefixes.some((prefix) => id.startsWith(prefix)));
    expect([...found].sort()).toEqual([...expected].sort());
    expect(reads).toBeLessThanOrEqual(2);
  });

  it('splits the reads of a large store by the estimate and yields between them', async () => {
    let reads = 0;
    let turns = 0;
    const store = { listIds: async () => (reads++, []) };
    const prefixes = Array.from(
      { length: 1_024 },
      (_, i) => `${'ABCDEFGHIJKLMNOP'[i % 16]}${String(i).padStart(11, '0')}`,
    );
    await listIdsWithPrefixes(store, prefixes, {
      estimatedIds: 10_000_000,
      idsPerRead: 4_096,
      yieldTurn: async () => void turns++,
    });
    expect(reads).toBeGreaterThan(1);
    expect(reads).toBeLessThanOrEqual(16);
    expect(turns).toBe(reads - 1);
  });
});
