import type { DeltaStore } from '@rhizome/storage';
import { toStorageError } from './database-error.ts';
import { createPostgresJsClient, type PostgresJsClientOptions } from './postgres-js-client.ts';
import { DELTAS_TABLE } from './schema.ts';
import { createSqlDeltaStore, FEED_CHANNEL_SQL } from './sql-store.ts';

export interface PostgresStoreOptions extends PostgresJsClientOptions {
  /** Apply pending migrations first (default true). */
  readonly migrate?: boolean;
  /**
   * Report appends made by other processes on the same schema to `onAppend` too (default true):
   * several nodes over one database then each see every write. Uses one LISTEN connection
   * (session pooling, not PgBouncer's transaction mode) and polls the feed as a safety net.
   */
  readonly follow?: boolean;
  /** How often the feed is read whatever the notifications, in ms (default 1,000; 0: never). */
  readonly followPollMs?: number;
  /** A failed read of the feed or LISTEN (the next notification or poll retries). */
  readonly onFollowError?: (error: unknown) => void;
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
    if (options.follow === false || client.listen === undefined) return createSqlDeltaStore(client);
    const listen = client.listen.bind(client);
    const [row] = await client.query<{ channel: string; seq: string | number }>(
      `SELECT ${FEED_CHANNEL_SQL} AS channel, coalesce((SELECT max(seq) FROM ${DELTAS_TABLE}), 0) AS seq`,
    );
    return createSqlDeltaStore(client, {
      follow: {
        after: Number(row!.seq),
        pollMs: options.followPollMs ?? 1_000,
        subscribe: (wake) => listen(row!.channel, wake, () => wake()),
        ...(options.onFollowError === undefined ? {} : { onError: options.onFollowError }),
      },
    });
  } catch (error) {
    await client.close().catch(() => {});
    throw toStorageError(error, 'opening PostgreSQL');
  }
}
