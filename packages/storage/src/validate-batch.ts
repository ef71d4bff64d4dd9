import { isRhizomeError, parseDeltaWithJson, type Delta } from '@rhizome/core';
import { StorageError, StorageErrorCode } from './errors.ts';
import { StorageLimits } from './types.ts';

/** The batch to write, deduplicated by id, and the ids of its repeats (in input order). */
export interface ValidatedBatch {
  readonly unique: readonly Delta[];
  /** The JSON text of each of `unique`, in the same order (see core's `parseDeltaWithJson`). */
  readonly json: readonly string[];
  readonly repeated: ReadonlySet<number>;
}

// PostgreSQL text cannot hold U+0000; refusing it everywhere keeps every backend's answer the same.
const NUL = '\u0000';

/**
 * Validates a whole batch before any of it is written: one bad delta rejects the batch with
 * STORAGE_INVALID_INPUT, the core error as `cause` and the offending index in `path`.
 */
export function validateBatch(input: readonly unknown[]): ValidatedBatch {
  if (!Array.isArray(input)) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'append() takes an array of deltas');
  }
  if (input.length > StorageLimits.maxBatchSize) {
    throw new StorageError(
      StorageErrorCode.InvalidInput,
      `a batch holds at most ${StorageLimits.maxBatchSize} deltas, got ${input.length}`,
      { details: { size: input.length, limit: StorageLimits.maxBatchSize } },
    );
  }
  const unique: Delta[] = [];
  const json: string[] = [];
  const repeated = new Set<number>();
  const seen = new Set<string>();
  input.forEach((value, index) => {
    let delta: Delta;
    let text: string;
    try {
      ({ delta, json: text } = parseDeltaWithJson(value));
    } catch (cause) {
      const reason = isRhizomeError(cause) ? `${cause.code}: ${cause.message}` : String(cause);
      throw new StorageError(
        StorageErrorCode.InvalidInput,
        `delta ${index} of the batch is invalid (${reason})`,
        {
          cause,
          path: [index, ...(isRhizomeError(cause) ? (cause.path ?? []) : [])],
        },
      );
    }
    const nulPath = findNul(delta);
    if (nulPath !== undefined) {
      throw new StorageError(
        StorageErrorCode.InvalidInput,
        `delta ${index} has a U+0000 character in a name`,
        {
          path: [index, ...nulPath],
        },
      );
    }
    if (seen.has(delta.id)) {
      repeated.add(index);
    } else {
      seen.add(delta.id);
      unique.push(delta);
      json.push(text);
    }
  });
  return { unique, json, repeated };
}

function findNul(delta: Delta): (string | number)[] | undefined {
  if (delta.host.includes(NUL)) return ['host'];
  if (delta.creator.includes(NUL)) return ['creator'];
  for (let i = 0; i < delta.pointers.length; i++) {
    const pointer = delta.pointers[i]!;
    if (pointer.localContext.includes(NUL)) return ['pointers', i, 'localContext'];
    if (pointer.targetContext?.includes(NUL)) return ['pointers', i, 'targetContext'];
    const target = pointer.target;
    if (typeof target === 'object' && target !== null && target.id.includes(NUL)) {
      return ['pointers', i, 'target', 'id'];
    }
  }
  return undefined;
}
