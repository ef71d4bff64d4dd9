import { testDatabaseUrl } from '@rhizome/vitest-config/requirements';
import postgres from 'postgres';
import { describe, inject } from 'vitest';
import { quoteIdentifier } from '../../src/index.ts';

/** The real server the tests use; CI starts it on 127.0.0.1:5432. */
export const TEST_DATABASE_URL = testDatabaseUrl();

/**
 * Whether that server answered when the run began (test/support/global-setup.ts). Without one the
 * PostgreSQL suites are skipped, and the run says what to install; with RHIZOME_REQUIRE_ALL_TESTS=1
 * (CI) the run fails instead.
 */
export const postgresAvailable = inject('postgres') !== null;

/** `describe` for a suite that needs the PostgreSQL server: skipped without one. */
export const describeWithPostgres = describe.skipIf(!postgresAvailable);

/**
 * One suite per backend, as `describe.each` would make them, with the PostgreSQL ones skipped when
 * there is no server (a backend is PostgreSQL when its name starts with "PostgreSQL").
 */
export function describeBackends<T extends readonly [string, ...unknown[]]>(
  backends: readonly T[],
  title: string,
  suite: (...backend: T) => void,
): void {
  for (const backend of backends) {
    const skip = backend[0].startsWith('PostgreSQL') && !postgresAvailable;
    describe.skipIf(skip)(title.replace('%s', backend[0]), () => suite(...backend));
  }
}

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
  if (!postgresAvailable) return; // its suites are skipped; the run has said so
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
