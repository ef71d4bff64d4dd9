import type { DeltaStore } from '@rhizome/storage';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeWithPostgres,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

const schemas: string[] = [];
const open: DeltaStore[] = [];

beforeAll(assertTestDatabaseReachable);
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});
afterAll(() => dropSchemas(schemas));

describeWithPostgres('feed id on a shared PostgreSQL schema', () => {
  it('is one id for every store on the schema, even when they all create it at once', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const options = { url: TEST_DATABASE_URL, schema, max: 2 };
    // Migrate once, then open the rest: the race under test is the feed id's, not migrate's.
    open.push(await openPostgresStore(options));
    for (let i = 0; i < 5; i++) open.push(await openPostgresStore({ ...options, migrate: false }));
    const ids = await Promise.all(open.map((store) => store.feedId()));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
