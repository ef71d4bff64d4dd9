import { createDeltaBuilder } from '@rhizome/core';
import type { DeltaStore } from '@rhizome/storage';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import { openPgliteStore } from '../src/pglite.ts';
import { loadPgliteTemplate } from './support/pglite.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeBackends,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

// Pointer rows travel as JSON, where the server refuses an escaped lone surrogate; every other
// parameter reaches it as UTF-8, where a lone surrogate becomes U+FFFD. A name holding one must
// still be stored and found again by the same string.
const schemas: string[] = [];
beforeAll(assertTestDatabaseReachable);
afterAll(() => dropSchemas(schemas));

const backends: [string, () => Promise<DeltaStore>][] = [
  [
    'PGlite',
    async () =>
      openPgliteStore({ pglite: await (await loadPgliteTemplate()).clone(), migrate: false }),
  ],
  [
    'PostgreSQL',
    async () => {
      const schema = createTestSchemaName();
      schemas.push(schema);
      return openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 2 });
    },
  ],
];

describeBackends(backends, 'names with lone surrogates (%s)', (_name, open) => {
  it('stores the delta and finds it by entity and property', async () => {
    const store = await open();
    try {
      const delta = createDeltaBuilder({ creator: 'c\ud800', host: 'h', timeCreated: 1 })
        .set('x\ud800y', { 'v\udc00': 'p\ud800' })
        .build();
      expect(await store.append([delta])).toEqual({ inserted: [delta.id], duplicates: [] });
      const rows = await store.hyperview('x\ud800y', { property: 'v\udc00' });
      expect(rows.map((row) => row.delta.id)).toEqual([delta.id]);
      expect(await store.get([delta.id])).toEqual([delta]);
    } finally {
      await store.close();
    }
  });
});
