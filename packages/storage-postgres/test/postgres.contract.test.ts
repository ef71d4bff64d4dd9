import { describeDeltaStoreContract } from '@rhizome/testkit';
import { afterAll, beforeAll } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeWithPostgres,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

// Every test gets its own schema, migrated from the committed migrations, so test files can run
// in parallel against one database.
const schemas: string[] = [];

beforeAll(assertTestDatabaseReachable);
afterAll(() => dropSchemas(schemas));

describeWithPostgres('on the PostgreSQL server', () => {
  describeDeltaStoreContract('PostgreSQL (postgres-js)', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const options = { url: TEST_DATABASE_URL, schema, max: 4 };
    return { store: await openPostgresStore(options), reopen: () => openPostgresStore(options) };
  });
});
