import postgres from 'postgres';
import { quoteIdentifier } from '../../src/index.ts';

/** The real server the tests use; CI starts it on 127.0.0.1:5432. */
export const TEST_DATABASE_URL =
  process.env.RHIZOME_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let counter = 0;

/** A schema name no other test (or test process) uses. */
export function createTestSchemaName(): string {
  counter += 1;
  return `rhizome_test_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/**
 * Fails loudly when the test server is down: the real-Postgres suite must run in CI, never be
 * skipped quietly.
 */
export async function assertTestDatabaseReachable(): Promise<void> {
  const sql = postgres(TEST_DATABASE_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//***@')} ` +
        '(start it, or point RHIZOME_TEST_DATABASE_URL at a server): ' +
        (error instanceof Error ? error.message : String(error)),
      { cause: error },
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function dropSchemas(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    for (const name of names)
      await sql.unsafe(`DROP SCHEMA IF EXISTS ${quoteIdentifier(name)} CASCADE`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
