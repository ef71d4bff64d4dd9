import type { PGlite, PGliteInterface } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { MIGRATIONS_FOLDER, MIGRATIONS_TABLE } from './migrations.ts';
import type { SqlClient, SqlQueryable } from './sql-client.ts';

function wrap(db: Pick<PGliteInterface, 'query'>): SqlQueryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      return (await db.query<Row>(text, params as unknown[])).rows;
    },
  };
}

/** A SqlClient over a PGlite instance (which serialises every query itself). */
export function createPgliteClient(pglite: PGliteInterface): SqlClient {
  const base = wrap(pglite);
  return {
    driver: 'pglite',
    query: base.query,
    transaction(work) {
      return pglite.transaction((tx) => work(wrap(tx)));
    },
    async migrate() {
      // drizzle's PGlite driver wants the concrete class; every PGliteInterface is one at run time.
      await migrate(drizzle(pglite as PGlite), {
        migrationsFolder: MIGRATIONS_FOLDER,
        migrationsTable: MIGRATIONS_TABLE,
        migrationsSchema: 'public',
      });
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
