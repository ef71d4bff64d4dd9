/** What the store needs from a driver: run one parameterised statement. */
export interface SqlQueryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /**
   * Runs `statement` (a `COPY … FROM STDIN` in text format) and streams `data` to it; resolves
   * once the server has stored every row. Only drivers that speak the COPY sub-protocol have it
   * (postgres-js); the store falls back to plain statements without it.
   */
  copyFrom?(statement: string, data: string | Uint8Array): Promise<void>;
}

/**
 * The seam between the store and a driver (PGlite or postgres-js). Queries are hand-written SQL
 * over the drizzle schema's tables: the hot paths pass whole columns as arrays to `unnest`, which
 * a query builder would expand into one parameter per value.
 */
export interface SqlClient extends SqlQueryable {
  readonly driver: 'pglite' | 'postgres-js';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * LISTENs on `channel` on a connection of its own: `onNotify` (with the payload) for each
   * notification, `onListen`
   * each time the listen (re)starts, after a dropped connection too. Resolves to the function
   * that stops listening. Only drivers with a server to listen to have it (postgres-js).
   */
  listen?(
    channel: string,
    onNotify: (payload: string) => void,
    onListen: () => void,
  ): Promise<() => Promise<void>>;
  /** Applies the committed drizzle migrations that are not applied yet. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
