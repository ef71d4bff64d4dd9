import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, CliErrorCode, ExitCode } from './errors.ts';

/**
 * Read access to a rhizome-node LevelDB store (its `LevelDBDeltaStorage`, see
 * docs/delta-format.md): one LevelDB whose keys and values are UTF-8 strings, every delta a
 * `delta:<id>` key holding the delta's JSON, beside index keys (`time:`, `creator:`, `host:`,
 * `entity:`, `context:`) that only repeat the id. Only the `delta:` range is read.
 *
 * classic-level is a native module and an optional dependency of the CLI: it is imported on first
 * use, so every other command works without it.
 */

/** Prefix of the keys that hold a delta; `;` is the byte after `:`, so the range is exact. */
export const DELTA_KEY_PREFIX = 'delta:';
const DELTA_KEY_END = 'delta;';

export interface RhizomeNodeEntry {
  readonly key: string;
  readonly value: string;
}

export interface RhizomeNodeStore {
  readonly dir: string;
  /** The delta entries in key order, strictly after `afterKey` when given. */
  entries(afterKey?: string): AsyncIterable<RhizomeNodeEntry>;
  /** The value of `delta:<oldId>`, or undefined when the store has no such delta. */
  getDelta(oldId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Raised when the directory is missing, is not a LevelDB, or the LevelDB cannot be read. */
export const STORE_UNREADABLE = 'STORE_UNREADABLE';

function unreadable(dir: string, reason: string, cause?: unknown): CliError {
  return new CliError(
    STORE_UNREADABLE,
    `cannot read ${dir} as a LevelDB store: ${reason}`,
    ExitCode.usage,
    {
      details: { dir, reason },
      cause,
    },
  );
}

interface ClassicLevelModule {
  ClassicLevel: new (
    location: string,
    options: { keyEncoding: 'utf8'; valueEncoding: 'utf8' },
  ) => ClassicLevelDb;
}

interface ClassicLevelDb {
  open(options: { createIfMissing: boolean; errorIfExists: boolean }): Promise<void>;
  get(key: string): Promise<string | undefined>;
  iterator(range: { gt?: string; gte?: string; lt: string }): AsyncIterable<[string, string]> & {
    close(): Promise<void>;
  };
  close(): Promise<void>;
}

async function loadClassicLevel(): Promise<ClassicLevelModule> {
  try {
    // A variable specifier keeps bundlers and the type checker from requiring the optional module.
    const name = 'classic-level';
    return (await import(name)) as ClassicLevelModule;
  } catch (error) {
    throw new CliError(
      CliErrorCode.notAvailable,
      'reading a rhizome-node store needs the optional dependency classic-level ' +
        `(npm install classic-level): ${(error as Error).message}`,
      ExitCode.usage,
      { details: { dependency: 'classic-level' }, cause: error },
    );
  }
}

/**
 * Opens the store read-only in effect: nothing is written to it but what LevelDB itself writes on
 * open (its LOCK and LOG files, and the replay of its write-ahead log). A directory without a
 * LevelDB `CURRENT` file is refused before LevelDB is asked, because LevelDB would create its LOCK
 * and LOG files in it (and the directory itself) even when told not to create a database.
 */
export async function openRhizomeNodeStore(dir: string): Promise<RhizomeNodeStore> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    throw unreadable(dir, (error as NodeJS.ErrnoException).code ?? 'not found', error);
  }
  if (!isDirectory) throw unreadable(dir, 'not a directory');
  try {
    if (!(await stat(join(dir, 'CURRENT'))).isFile()) throw new Error('CURRENT is not a file');
  } catch (error) {
    throw unreadable(dir, 'no LevelDB CURRENT file (not a LevelDB directory)', error);
  }
  const { ClassicLevel } = await loadClassicLevel();
  const db = new ClassicLevel(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    await db.open({ createIfMissing: false, errorIfExists: false });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      cause?.code === 'LEVEL_LOCKED'
        ? 'it is locked by another process (stop the rhizome-node that uses it first)'
        : (cause?.message ?? (error as Error).message);
    throw unreadable(dir, reason, error);
  }
  const wrap = async <T>(what: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      throw unreadable(dir, `${what}: ${(error as Error).message}`, error);
    }
  };
  return {
    dir,
    async *entries(afterKey) {
      const iterator = db.iterator(
        afterKey === undefined
          ? { gte: DELTA_KEY_PREFIX, lt: DELTA_KEY_END }
          : { gt: afterKey, lt: DELTA_KEY_END },
      );
      const source = iterator[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await wrap('iterating its deltas', () => source.next());
          if (next.done === true) return;
          const [key, value] = next.value;
          yield { key, value };
        }
      } finally {
        await iterator.close();
      }
    },
    getDelta: (oldId) =>
      wrap(`reading delta ${oldId}`, () => db.get(`${DELTA_KEY_PREFIX}${oldId}`)),
    close: () => db.close(),
  };
}
