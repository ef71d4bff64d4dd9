import {
  importLegacyDelta,
  isRhizomeError,
  Vocabulary,
  type Delta,
  type DeltaId,
} from '@rhizome/core';
import { CliError, ExitCode } from './errors.ts';
import {
  DELTA_KEY_PREFIX,
  type RhizomeNodeEntry,
  type RhizomeNodeStore,
} from './rhizome-node-store.ts';

/**
 * Converts the deltas of a rhizome-node store to v1 deltas with `@rhizome/core`'s legacy import.
 * A delta's new id is its content hash, so a negation can only be converted once the delta it
 * negates has its new id: the converter looks the negated delta up by its old id (`delta:<old id>`)
 * and converts it first, through chains of negations of negations, without recursion.
 */

/** What to do with a negation of a delta the store does not hold. */
export type DanglingNegations = 'error' | 'keep' | 'skip';

export const LEGACY_IMPORT_INVALID = 'LEGACY_IMPORT_INVALID';

/** Old ids whose new ids are remembered between entries (negated deltas are usually recent). */
const ID_CACHE_SIZE = 10_000;

const MISSING = Symbol('missing');
const DROPPED = Symbol('dropped');
type Resolved = DeltaId | typeof MISSING | typeof DROPPED;

interface FirstPass {
  readonly key: string;
  readonly image: unknown;
  /** Old ids of the deltas this one negates. */
  readonly negated: readonly string[];
  /** The converted delta when it negates nothing (its id does not depend on another delta). */
  readonly delta: Delta;
}

export interface RhizomeNodeConverter {
  /** The v1 delta of an entry, or undefined when it is a dropped dangling negation. */
  convert(entry: RhizomeNodeEntry): Promise<Delta | undefined>;
}

function invalid(key: string, message: string, cause?: unknown, path?: unknown): CliError {
  return new CliError(LEGACY_IMPORT_INVALID, `${key}: ${message}`, ExitCode.usage, {
    details: { key, ...(path === undefined ? {} : { path }) },
    cause,
  });
}

function firstPass(key: string, value: string): FirstPass {
  let image: unknown;
  try {
    image = JSON.parse(value);
  } catch (error) {
    throw invalid(key, `the value is not JSON (${(error as Error).message})`, error);
  }
  const oldId = key.slice(DELTA_KEY_PREFIX.length);
  const id = (image as { id?: unknown } | null)?.id;
  if (id !== oldId) {
    throw invalid(key, `the delta's id ${JSON.stringify(id)} is not the id in its key`);
  }
  let delta: Delta;
  try {
    // Negation targets stay old ids here; they are read off the result, then resolved.
    delta = importLegacyDelta(image, { unresolvedNegations: 'keep' }).delta;
  } catch (error) {
    if (!isRhizomeError(error)) throw error;
    throw invalid(key, error.message, error, error.path);
  }
  const negated: string[] = [];
  for (const pointer of delta.pointers) {
    const target = pointer.target;
    if (
      pointer.localContext === Vocabulary.negates &&
      typeof target === 'object' &&
      target !== null
    ) {
      negated.push(target.id);
    }
  }
  return { key, image, negated, delta };
}

export function createRhizomeNodeConverter(
  store: RhizomeNodeStore,
  dangling: DanglingNegations,
  cacheSize = ID_CACHE_SIZE,
): RhizomeNodeConverter {
  const cache = new Map<string, Resolved>();
  const remember = (oldId: string, resolved: Resolved) => {
    cache.delete(oldId);
    cache.set(oldId, resolved);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };

  /** The final conversion of a delta whose negated deltas are all resolved in `resolved`. */
  const finish = (
    record: FirstPass,
    resolved: ReadonlyMap<string, Resolved>,
  ): Delta | undefined => {
    if (record.negated.length === 0) return record.delta;
    const knownIds = new Map<string, DeltaId>();
    for (const oldId of record.negated) {
      const target = resolved.get(oldId);
      if (typeof target === 'string') {
        knownIds.set(oldId, target);
        continue;
      }
      if (dangling === 'skip') return undefined;
      if (dangling === 'error') {
        throw invalid(
          record.key,
          `negates ${oldId}, which the store does not hold` +
            (target === DROPPED ? ' (it is itself a dropped negation)' : '') +
            '; choose --dangling-negations keep or skip',
        );
      }
    }
    try {
      return importLegacyDelta(record.image, { knownIds, unresolvedNegations: 'keep' }).delta;
    } catch (error) {
      if (!isRhizomeError(error)) throw error;
      throw invalid(record.key, error.message, error, error.path);
    }
  };

  return {
    async convert(entry) {
      const rootId = entry.key.slice(DELTA_KEY_PREFIX.length);
      const root = firstPass(entry.key, entry.value);
      if (root.negated.length === 0) return root.delta;
      // Depth-first over negation targets; `resolved` keeps this walk's results whatever the
      // cache evicts meanwhile.
      const resolved = new Map<string, Resolved>();
      const lookup = (oldId: string) => resolved.get(oldId) ?? cache.get(oldId);
      const records = new Map<string, FirstPass>([[rootId, root]]);
      const stack: string[] = [rootId];
      const open = new Set<string>(stack);
      let rootDelta: Delta | undefined;
      while (stack.length > 0) {
        const oldId = stack[stack.length - 1] as string;
        let record = records.get(oldId);
        if (record === undefined) {
          const value = await store.getDelta(oldId);
          if (value === undefined) {
            resolved.set(oldId, MISSING);
            stack.pop();
            open.delete(oldId);
            continue;
          }
          record = firstPass(`${DELTA_KEY_PREFIX}${oldId}`, value);
          records.set(oldId, record);
        }
        const pending = record.negated.find((id) => lookup(id) === undefined);
        if (pending !== undefined) {
          if (open.has(pending)) {
            throw invalid(record.key, `negations form a cycle through ${pending}`);
          }
          open.add(pending);
          stack.push(pending);
          continue;
        }
        for (const id of record.negated) resolved.set(id, lookup(id) as Resolved);
        const delta = finish(record, resolved);
        if (oldId === rootId) rootDelta = delta;
        const result: Resolved = delta === undefined ? DROPPED : delta.id;
        resolved.set(oldId, result);
        remember(oldId, result);
        records.delete(oldId);
        stack.pop();
        open.delete(oldId);
      }
      return rootDelta;
    },
  };
}
