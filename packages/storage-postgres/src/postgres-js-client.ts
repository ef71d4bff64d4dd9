import { connect, type Socket } from 'node:net';
import { finished } from 'node:stream/promises';
import { drizzle } from 'drizzle-orm/postgres-js';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { MIGRATIONS_FOLDER, MIGRATIONS_TABLE } from './migrations.ts';
import type { SqlClient, SqlQueryable } from './sql-client.ts';

export interface PostgresJsClientOptions {
  /** A postgres:// URL, e.g. from DATABASE_URL. */
  readonly url: string;
  /**
   * Keep the tables in this schema (created when missing) instead of `public`: several stores,
   * or tests, can share one database.
   */
  readonly schema?: string;
  /** Called with the text of every statement sent (diagnostics and tests). */
  readonly onQuery?: (text: string) => void;
  /** Connections in the pool (default 10). */
  readonly max?: number;
  /**
   * Use named prepared statements (default true): each of the store's few statements is then
   * planned once per connection. Turn off behind a pooler in transaction mode (e.g. PgBouncer).
   */
  readonly prepare?: boolean;
}

type Sql = postgres.Sql;

function wrap(sql: Pick<Sql, 'unsafe'>, prepare: boolean): SqlQueryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare });
      return rows as unknown as Row[];
    },
    async copyFrom(statement: string, data: string | Uint8Array) {
      const query = sql.unsafe(statement);
      // postgres-js 3.4 settles the stream when the server confirms the COPY, but when the
      // server refuses rows after the data is sent, it only rejects the query, whose promise
      // already resolved to the stream (porsager/postgres#1173): the stream would never finish
      // and the transaction never roll back. So the query's reject is watched as well.
      const refused = new Promise<never>((_, reject) => {
        const pending = query as unknown as { reject: (error: unknown) => void };
        const settle = pending.reject;
        pending.reject = (error) => {
          reject(error);
          settle(error);
        };
      });
      refused.catch(() => {});
      const stream = await query.writable();
      stream.end(data);
      await Promise.race([finished(stream), refused]);
    },
  };
}

/** What postgres-js hands a socket factory: its parsed options (hosts and ports as lists). */
interface SocketTarget {
  readonly host: readonly string[];
  readonly port: readonly number[];
  readonly path?: string | false;
  readonly connect_timeout?: number;
}

/**
 * Connects with Nagle's algorithm off. postgres-js leaves it on, and sends a COPY's data and its
 * CopyDone in two writes: the small second one then waits for the server's delayed ACK (40 ms on
 * Linux) on every COPY. Tries the hosts in order, as postgres-js does on its own.
 */
async function connectNoDelay(target: SocketTarget): Promise<Socket> {
  const timeoutMs = (target.connect_timeout ?? 30) * 1000;
  const attempt = (open: () => Socket) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = open();
      socket.setNoDelay(true);
      socket.setTimeout(timeoutMs);
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      const timedOut = () =>
        fail(new Error(`connecting to PostgreSQL timed out after ${timeoutMs} ms`));
      socket.once('error', fail);
      socket.once('timeout', timedOut);
      socket.once('connect', () => {
        socket.off('error', fail);
        socket.off('timeout', timedOut);
        socket.setTimeout(0);
        resolve(socket);
      });
    });
  if (typeof target.path === 'string' && target.path !== '') {
    const path = target.path;
    return attempt(() => connect({ path }));
  }
  let lastError: unknown;
  for (const [i, host] of target.host.entries()) {
    const port = target.port[i] ?? target.port[0] ?? 5432;
    try {
      return await attempt(() => connect({ host, port }));
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** A SqlClient over a postgres-js pool. */
export function createPostgresJsClient(options: PostgresJsClientOptions): SqlClient {
  const schema = options.schema;
  // Every statement the store sends is a short indexed lookup or a small write. At millions of
  // rows the planner's estimate for one entity's pointer rows is far too high (it cannot know
  // an entity holds a handful of the 10M), and it then JIT-compiles and parallelises a closure
  // query: 40 ms to 0.4 s instead of under a millisecond (measured at 10M deltas). Neither ever
  // pays off here, so both are off for the store's sessions.
  const connection = {
    connection: {
      jit: 'off',
      max_parallel_workers_per_gather: '0',
      ...(schema === undefined ? {} : { search_path: schema }),
    },
  };
  // `socket` (a connection factory) is read by postgres-js but missing from its types.
  const settings = {
    max: options.max ?? 10,
    onnotice: () => {},
    socket: connectNoDelay,
    ...connection,
    ...(options.onQuery === undefined
      ? {}
      : { debug: (_connection: number, text: string) => options.onQuery!(text) }),
  };
  const sql = postgres(options.url, settings);
  const prepare = options.prepare ?? true;
  const base = wrap(sql, prepare);
  return {
    driver: 'postgres-js',
    query: base.query,
    async listen(channel, onNotify, onListen) {
      const meta = await sql.listen(channel, (payload) => onNotify(payload), onListen);
      return async () => {
        await meta.unlisten();
      };
    },
    async transaction(work) {
      return (await sql.begin((tx) => work(wrap(tx, prepare)))) as Awaited<ReturnType<typeof work>>;
    },
    async migrate() {
      // Already up to date: one query on the pool, no lock, no extra connection. drizzle applies
      // a migration when the newest one recorded is older than it, so this is the same test.
      const local = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
      const newest = local.at(-1)?.folderMillis ?? 0;
      try {
        const [row] = await sql.unsafe<{ latest: string | null }[]>(
          `SELECT max(created_at)::text AS latest FROM ${quoteIdentifier(schema ?? 'public')}.${quoteIdentifier(MIGRATIONS_TABLE)}`,
        );
        if (row?.latest != null && Number(row.latest) >= newest) return;
      } catch {
        // No migrations table yet: a new database.
      }
      // Nodes starting together would race to create the same tables: one connection of its own
      // holds a session lock for the whole migration, and closing it releases the lock.
      const migrator = postgres(options.url, { max: 1, onnotice: () => {}, ...connection });
      try {
        await migrator.unsafe('SELECT pg_advisory_lock(hashtext($1))', [
          `rhizome:migrate:${schema ?? 'public'}`,
        ]);
        if (schema !== undefined)
          await migrator.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
        await migrate(drizzle(migrator), {
          migrationsFolder: MIGRATIONS_FOLDER,
          migrationsTable: MIGRATIONS_TABLE,
          migrationsSchema: schema ?? 'public',
        });
      } finally {
        await migrator.end({ timeout: 5 });
      }
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
