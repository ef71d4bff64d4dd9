import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { MIGRATIONS_FOLDER } from './migrations.ts';

/**
 * A migrated, empty PGlite data directory made at build time (`pnpm build`), so a fresh data
 * directory is unpacked from it instead of running initdb (seconds on a small machine). The same
 * relative URL finds it from `src/` in the repository and from `dist/` when published.
 */
export const PGLITE_SNAPSHOT_FILE = fileURLToPath(
  new URL('../dist/pglite-snapshot.tar.gz', import.meta.url),
);
export const PGLITE_SNAPSHOT_META_FILE = fileURLToPath(
  new URL('../dist/pglite-snapshot.json', import.meta.url),
);

/** Where a snapshot and its metadata are (the build's unless a test says otherwise). */
export interface PgliteSnapshotFiles {
  readonly tarball: string;
  readonly meta: string;
}

const DEFAULT_SNAPSHOT_FILES: PgliteSnapshotFiles = {
  tarball: PGLITE_SNAPSHOT_FILE,
  meta: PGLITE_SNAPSHOT_META_FILE,
};

/** What a snapshot was made from; it is used only when all of it still holds. */
export interface PgliteSnapshotMeta {
  /** The `@electric-sql/pglite` version that wrote the data directory. */
  readonly pglite: string;
  /** The migrations applied in it, by tag, with a hash of their SQL. */
  readonly migrations: readonly { readonly tag: string; readonly sha256: string }[];
}

/** The installed PGlite's version (its package does not export `package.json`). */
export function readPgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (parsed.name === '@electric-sql/pglite' && parsed.version !== undefined)
        return parsed.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the version of @electric-sql/pglite');
    dir = parent;
  }
}

/** The committed migrations, in order, as the snapshot's metadata records them. */
export function describeMigrations(): PgliteSnapshotMeta['migrations'] {
  const journal = JSON.parse(
    readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
  ) as { entries: { tag: string }[] };
  return journal.entries.map(({ tag }) => ({
    tag,
    sha256: createHash('sha256')
      .update(readFileSync(join(MIGRATIONS_FOLDER, `${tag}.sql`)))
      .digest('hex'),
  }));
}

/**
 * The build's snapshot as a gzipped tarball for PGlite's `loadDataDir`, or undefined when there
 * is none (nothing built yet) or it no longer matches: another PGlite version, or a migration it
 * holds that was changed or removed since. Migrations added since are applied after loading.
 */
export async function loadPgliteSnapshot(
  files: PgliteSnapshotFiles = DEFAULT_SNAPSHOT_FILES,
): Promise<Blob | undefined> {
  try {
    if (!existsSync(files.meta) || !existsSync(files.tarball)) return undefined;
    const meta = JSON.parse(await readFile(files.meta, 'utf8')) as PgliteSnapshotMeta;
    if (meta.pglite !== readPgliteVersion()) return undefined;
    const current = describeMigrations();
    const matches = meta.migrations.every(
      (migration, i) =>
        current[i]?.tag === migration.tag && current[i]?.sha256 === migration.sha256,
    );
    if (!matches) return undefined;
    return new Blob([await readFile(files.tarball)], { type: 'application/x-gzip' });
  } catch {
    // A damaged or unreadable snapshot only costs the slow path.
    return undefined;
  }
}

/** Writes a snapshot of `tarball` (from `dumpMigratedPglite`) and what it was made from. */
export async function writePgliteSnapshot(
  tarball: Blob,
  files: PgliteSnapshotFiles = DEFAULT_SNAPSHOT_FILES,
): Promise<PgliteSnapshotMeta> {
  await writeFile(files.tarball, gzipSync(Buffer.from(await tarball.arrayBuffer()), { level: 9 }));
  const meta: PgliteSnapshotMeta = {
    pglite: readPgliteVersion(),
    migrations: describeMigrations(),
  };
  await writeFile(files.meta, `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/** Whether `dataDir` holds no database yet (PGlite would run initdb there). */
export function isFreshDataDir(dataDir: string): boolean {
  return !existsSync(join(dataDir, 'PG_VERSION'));
}
