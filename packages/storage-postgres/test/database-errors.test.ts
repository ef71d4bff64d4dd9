import { StorageErrorCode, type DeltaStore } from '@rhizome/storage';
import { createSmallDeltas, expectStorageError, startDelta } from '@rhizome/testkit';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore, quoteIdentifier } from '../src/index.ts';
import { openPgliteStore, type PgliteTemplate } from '../src/pglite.ts';
import { loadPgliteTemplate } from './support/pglite.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeWithPostgres,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

// A trigger that fails the pointer insert of one batch, after its deltas were inserted by the
// same statement: the database error must surface typed and leave nothing of the batch behind.
const TRAP_SQL = `
CREATE FUNCTION rhizome_test_trap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.target_id = 'explode' THEN RAISE EXCEPTION 'trap sprung'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER rhizome_test_trap BEFORE INSERT ON rhizome_pointers
  FOR EACH ROW EXECUTE FUNCTION rhizome_test_trap();`;

async function expectNoHalfWrittenBatch(store: DeltaStore): Promise<void> {
  const [a, b] = createSmallDeltas(2);
  const bomb = startDelta(1_800_000_000_000).set('explode', { value: 1 }).build();
  const error = await expectStorageError(store.append([a, b, bomb]), StorageErrorCode.Failed);
  expect((error as { details?: { databaseCode?: string } }).details?.databaseCode).toBe('P0001');
  expect(await store.counts()).toEqual({ deltas: 0, entities: 0, lastSeq: 0, newestTime: 0 });
  expect(await store.get([a!.id, b!.id])).toEqual([]);
  expect(await store.hyperview('entity-0')).toEqual([]);
  // The store stays usable and the same deltas go in once the trap is avoided.
  expect((await store.append([a, b])).inserted).toEqual([a!.id, b!.id]);
}

describeWithPostgres('database errors', () => {
  const schemas: string[] = [];
  let template: PgliteTemplate;
  beforeAll(async () => {
    await assertTestDatabaseReachable();
    template = await loadPgliteTemplate();
  });
  afterAll(async () => {
    await dropSchemas(schemas);
  });

  it('PostgreSQL: a failing batch surfaces as a typed error and writes nothing', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const store = await openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 2 });
    const sql = postgres(TEST_DATABASE_URL, {
      max: 1,
      onnotice: () => {},
      connection: { search_path: schema },
    });
    try {
      await sql.unsafe(
        TRAP_SQL.replaceAll(
          'rhizome_test_trap()',
          `${quoteIdentifier(schema)}.rhizome_test_trap()`,
        ),
      );
      await expectNoHalfWrittenBatch(store);
    } finally {
      await sql.end({ timeout: 5 });
      await store.close();
    }
  });

  it('PGlite: a failing batch surfaces as a typed error and writes nothing', async () => {
    const pglite = await template.clone();
    await pglite.exec(TRAP_SQL);
    const store = await openPgliteStore({ pglite, migrate: false });
    try {
      await expectNoHalfWrittenBatch(store);
    } finally {
      await store.close();
    }
  });

  it('an unreachable server is STORAGE_UNAVAILABLE at open', async () => {
    await expectStorageError(
      openPostgresStore({ url: 'postgres://postgres@127.0.0.1:1/test', max: 1 }),
      StorageErrorCode.Unavailable,
    );
  });
});
