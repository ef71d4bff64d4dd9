import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSmallDeltas } from '@rhizome/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDeltaStore, openPostgresStore } from '../src/index.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeWithPostgres,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

describeWithPostgres('openDeltaStore picks the backend from DATABASE_URL', () => {
  const schemas: string[] = [];
  let dataDir: string;
  beforeAll(async () => {
    await assertTestDatabaseReachable();
    dataDir = await mkdtemp(join(tmpdir(), 'rhizome-open-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await dropSchemas(schemas);
  });

  it('checks that migrations are applied with one query when they are', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const first = await openPostgresStore({ url: TEST_DATABASE_URL, schema, follow: false });
    await first.append(createSmallDeltas(2));
    await first.close();
    const sent: string[] = [];
    const again = await openPostgresStore({
      url: TEST_DATABASE_URL,
      schema,
      follow: false,
      onQuery: (text) => sent.push(text),
    });
    try {
      // The whole open: the migration check and nothing else (no lock, no DDL).
      // postgres-js reads the server's array types once per pool: that one is the driver's own.
      const own = sent.filter((text) => !text.includes('pg_catalog.pg_type'));
      expect(own).toHaveLength(1);
      expect(own[0]).toContain('__rhizome_migrations');
      expect((await again.counts()).deltas).toBe(2);
    } finally {
      await again.close();
    }
  });

  it('uses PostgreSQL when DATABASE_URL is set', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const store = await openDeltaStore({ env: { DATABASE_URL: TEST_DATABASE_URL }, schema });
    try {
      await store.append(createSmallDeltas(3));
      expect((await store.counts()).deltas).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('lets several nodes start on the same empty schema at once', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const stores = await Promise.all(
      [1, 2, 3].map(() => openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 1 })),
    );
    try {
      await stores[0]!.append(createSmallDeltas(2));
      for (const store of stores) expect((await store.counts()).deltas).toBe(2);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('works without prepared statements, as behind a pooler in transaction mode', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const store = await openPostgresStore({
      url: TEST_DATABASE_URL,
      schema,
      prepare: false,
      max: 1,
    });
    try {
      const deltas = createSmallDeltas(4, { entities: 2 });
      expect((await store.append(deltas)).inserted).toHaveLength(4);
      expect((await store.hyperview('entity-1')).map((row) => row.delta)).toEqual([
        deltas[1],
        deltas[3],
      ]);
    } finally {
      await store.close();
    }
  });

  it('uses PGlite in the data directory otherwise', async () => {
    const store = await openDeltaStore({ env: { RHIZOME_DATA_DIR: join(dataDir, 'db') } });
    try {
      await store.append(createSmallDeltas(2));
      expect((await store.counts()).deltas).toBe(2);
    } finally {
      await store.close();
    }
    expect(await readdir(join(dataDir, 'db'))).toContain('PG_VERSION');
  });
});
