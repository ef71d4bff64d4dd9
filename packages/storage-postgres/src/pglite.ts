import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import type { DeltaStore } from '@rhizome/storage';
import { toStorageError } from './database-error.ts';
import { createPgliteClient } from './pglite-client.ts';
import { isFreshDataDir, loadPgliteSnapshot } from './pglite-snapshot.ts';
import { createSqlDeltaStore } from './sql-store.ts';

export { createPgliteClient } from './pglite-client.ts';

export interface PgliteStoreOptions {
  /**
   * Directory of the embedded database (created when missing). Leave out for an in-memory
   * PGlite, which keeps nothing across a restart.
   */
  readonly dataDir?: string;
  /** Use this PGlite instead of opening one (e.g. a `clone()` in tests). The store closes it. */
  readonly pglite?: PGliteInterface;
  /** Apply pending migrations first (default true). */
  readonly migrate?: boolean;
  /**
   * Start a new database from the build's migrated snapshot instead of running initdb (default
   * true; without a matching snapshot PGlite runs initdb as usual).
   */
  readonly snapshot?: boolean;
}

/** Opens a DeltaStore on embedded PGlite: nothing to install, data in a local directory. */
export async function openPgliteStore(options: PgliteStoreOptions = {}): Promise<DeltaStore> {
  let pglite = options.pglite;
  try {
    pglite ??= await createPglite(options.dataDir, options.snapshot !== false);
    const client = createPgliteClient(pglite);
    if (options.migrate !== false) await client.migrate();
    return createSqlDeltaStore(client);
  } catch (error) {
    await pglite?.close().catch(() => {});
    throw toStorageError(error, 'opening PGlite');
  }
}

/** A PGlite on `dataDir` (in memory without one); a new database is unpacked from the snapshot. */
async function createPglite(dataDir: string | undefined, useSnapshot: boolean): Promise<PGlite> {
  const isPath = dataDir !== undefined && !dataDir.includes('://');
  const fresh = dataDir === undefined || (isPath && isFreshDataDir(dataDir));
  const loadDataDir = useSnapshot && fresh ? await loadPgliteSnapshot() : undefined;
  return PGlite.create({
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(loadDataDir === undefined ? {} : { loadDataDir }),
  });
}

/**
 * A migrated database to start copies from: tests migrate once, then take a copy per test.
 * PGlite's own `clone()` dumps the source on every call; the template never changes, so it is
 * dumped once and each copy only loads that dump.
 */
export interface PgliteTemplate {
  /** A new in-memory PGlite holding the migrated, empty schema. */
  clone(): Promise<PGlite>;
  /** Writes the migrated, empty schema into a new data directory (skips initdb and migrate). */
  seed(dataDir: string): Promise<void>;
}

/** Migrates a fresh in-memory database and returns its data directory as an uncompressed tarball. */
export async function dumpMigratedPglite(): Promise<Blob> {
  const source = await createMigratedPglite();
  try {
    return await source.dumpDataDir('none');
  } finally {
    await source.close();
  }
}

/** `dump` (from `dumpMigratedPglite`) lets many test files share one migration run. */
export async function createPgliteTemplate(dump?: Blob): Promise<PgliteTemplate> {
  const loadDataDir = dump ?? (await dumpMigratedPglite());
  return {
    clone: () => PGlite.create({ loadDataDir }),
    async seed(dataDir) {
      const seeded = await PGlite.create({ dataDir, loadDataDir });
      await seeded.close();
    },
  };
}

/** A migrated in-memory PGlite. */
export async function createMigratedPglite(): Promise<PGlite> {
  const pglite = await PGlite.create();
  await createPgliteClient(pglite).migrate();
  return pglite;
}
