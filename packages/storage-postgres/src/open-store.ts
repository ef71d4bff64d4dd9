import type { DeltaStore } from '@rhizome/storage';
import { openPostgresStore } from './postgres-store.ts';

/** Where the embedded database lives unless told otherwise (git-ignored). */
export const DEFAULT_DATA_DIR = '.rhizome-data/pglite';

export interface OpenDeltaStoreOptions {
  /** A postgres:// URL. Defaults to the DATABASE_URL environment variable. */
  readonly databaseUrl?: string;
  /** PGlite data directory when no URL is set. Defaults to RHIZOME_DATA_DIR, then DEFAULT_DATA_DIR. */
  readonly dataDir?: string;
  /** Schema for the tables on a real server (default `public`). */
  readonly schema?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The one switch between the two backends: a real PostgreSQL server when a URL is configured,
 * embedded PGlite on disk otherwise. Both run the same schema and migrations.
 */
export async function openDeltaStore(options: OpenDeltaStoreOptions = {}): Promise<DeltaStore> {
  const env = options.env ?? process.env;
  const url = options.databaseUrl ?? env.DATABASE_URL;
  if (url !== undefined && url !== '') {
    return openPostgresStore({
      url,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    });
  }
  // PGlite is loaded only when used: it is a large WebAssembly module a server never needs.
  const { openPgliteStore } = await import('./pglite.ts');
  return openPgliteStore({ dataDir: options.dataDir ?? env.RHIZOME_DATA_DIR ?? DEFAULT_DATA_DIR });
}
