import { existsSync, readdirSync, rmSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { createPluginError, PluginErrorCode } from '@rhizome/plugins';

/** Where copies go, inside the package's own `node_modules` (see `createPluginSnapshots`). */
const SNAPSHOT_DIR = join('node_modules', '.rhizome-reload');

/** What one snapshot may hold: a plugin package, not a whole project by mistake. */
export interface SnapshotLimits {
  readonly maxFiles: number;
  readonly maxBytes: number;
}

const DEFAULT_LIMITS: SnapshotLimits = { maxFiles: 2_000, maxBytes: 64 * 1024 * 1024 };

export interface PluginSnapshot {
  /** The entry file inside the copy. */
  readonly entry: string;
  /** The reload succeeded: the package's previous copy is no longer used, remove it. */
  keep(): Promise<void>;
  /** The reload failed: remove this copy, the previous one stays in use. */
  discard(): Promise<void>;
}

export interface PluginSnapshots {
  /** Copies the package holding `entryPath` to a new location and names its entry there. */
  take(packageName: string, entryPath: string): Promise<PluginSnapshot>;
  /** Removes the copies in use (at shutdown). */
  close(): void;
}

/** The directory of the nearest `package.json` above `entryPath`, else the entry's directory. */
export function findPackageRoot(entryPath: string): string {
  for (let dir = dirname(entryPath); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return dirname(entryPath);
  }
}

/** Every file of the package, without dependencies (`node_modules`) and `.git`. */
async function listFiles(root: string, limits: SnapshotLimits, name: string): Promise<string[]> {
  const files: string[] = [];
  let bytes = 0;
  const refuse = (what: string) =>
    createPluginError(
      PluginErrorCode.LoadFailed,
      `cannot hot-reload "${name}": ${root} holds more than ${what}; is it the plugin's own package? (restart the node instead)`,
      { details: { package: name, root, ...limits } },
    );
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (isIgnored(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        files.push(path);
        bytes += (await stat(path)).size;
        if (files.length > limits.maxFiles) throw refuse(`${limits.maxFiles} files`);
        if (bytes > limits.maxBytes) throw refuse(`${limits.maxBytes} bytes`);
      }
    }
  };
  await walk(root);
  return files;
}

/**
 * Hot reload of a whole plugin package. ES modules are cached by URL for the life of the process
 * and cannot be unloaded, so re-importing the entry (even with a query) still reuses the old
 * version of every file it imports. Each reload therefore copies the package's files to a new
 * directory and imports the entry from there: every module of the package gets a new URL.
 *
 * The copy sits in `<package>/node_modules/.rhizome-reload/<pid>-<n>/`, so bare imports resolve
 * as from the original (the package's own `node_modules`, then its ancestors'). Symlinks and the
 * package's dependencies are not copied: dependencies keep the version first loaded. Each reload
 * leaves the previous version's modules in memory for the life of the process (ESM cannot
 * unload), so reload during development, not in a loop.
 */
export function createPluginSnapshots(limits: SnapshotLimits = DEFAULT_LIMITS): PluginSnapshots {
  let generation = 0;
  const current = new Map<string, string>();
  return {
    async take(packageName, entryPath) {
      const root = findPackageRoot(entryPath);
      const files = await listFiles(root, limits, packageName);
      generation += 1;
      const target = join(root, SNAPSHOT_DIR, `${process.pid}-${generation}`);
      try {
        for (const file of files) {
          const copy = join(target, relative(root, file));
          await mkdir(dirname(copy), { recursive: true });
          await copyFile(file, copy);
        }
      } catch (error) {
        await rm(target, { recursive: true, force: true });
        throw createPluginError(
          PluginErrorCode.LoadFailed,
          `cannot hot-reload "${packageName}": copying ${root} failed`,
          { cause: error, details: { package: packageName, root } },
        );
      }
      return {
        entry: join(target, relative(root, entryPath)),
        async keep() {
          const previous = current.get(packageName);
          current.set(packageName, target);
          if (previous !== undefined) await rm(previous, { recursive: true, force: true });
        },
        async discard() {
          await rm(target, { recursive: true, force: true });
        },
      };
    },
    close() {
      for (const target of current.values()) rmSync(target, { recursive: true, force: true });
      current.clear();
    },
  };
}

/**
 * The directories to watch for changes to the package holding `entryPath`: its root and every
 * directory below without dependencies (`node_modules`) and `.git`; only the entry file when
 * the package is larger than a snapshot may be.
 */
export function watchedPaths(entryPath: string, limits: SnapshotLimits = DEFAULT_LIMITS): string[] {
  const root = findPackageRoot(entryPath);
  const dirs: string[] = [];
  let files = 0;
  const walk = (dir: string): boolean => {
    dirs.push(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (isIgnored(entry.name)) continue;
      if (entry.isDirectory()) {
        if (!walk(join(dir, entry.name))) return false;
      } else if (++files > limits.maxFiles) return false;
    }
    return true;
  };
  try {
    return walk(root) ? dirs : [entryPath];
  } catch {
    return [entryPath];
  }
}

/** Changes under these names are not the plugin's code (and the snapshots live there). */
export function isIgnored(name: string): boolean {
  return name === 'node_modules' || name === '.git';
}
