import type { DeltaStore } from '@rhizome/storage';
import { toStorageError } from './database-error.ts';
import { createPostgresJsClient, type PostgresJsClientOptions } from './postgres-js-client.ts';
import { createSqlDeltaStore } from './sql-store.ts';

export interface PostgresStoreOptions extends PostgresJsClientOptions {
  /** Apply pending migrations first (default true). */
  readonly migrate?: boolean;
}

/**
 * Opens a DeltaStore on a PostgreSQL server through postgres-js. Fails with STORAGE_UNAVAILABLE
 * when the server cannot be reached, so a node does not start without its storage.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<DeltaStore> {
  const client = createPostgresJsClient(options);
  try {
    if (options.migrate !== false) await client.migrate();
    else await client.query('SELECT 1');
    return createSqlDeltaStore(client);
  } catch (error) {
    await client.close().catch(() => {});
    throw toStorageError(error, 'opening PostgreSQL');
  }
}
