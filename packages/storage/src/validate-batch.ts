import { isRhizomeError, parseDelta, parseDeltaWithKnownJson, type Delta } from '@rhizome/core';
import { StorageError, StorageErrorCode } from './errors.ts';
import { StorageLimits } from './types.ts';

/** The batch to write, deduplicated by id, and the ids of its repeats (in input order). */
export interface ValidatedBatch {
  readonly unique: readonly Delta[];
  /**
   * The JSON text of each of `unique`, in the same order (see core's `parseDeltaWithJson`);
   * empty when asked `withJson: false`.
   */
  readonly json: readonly string[];
  readonly repeated: ReadonlySet<number>;
}

// PostgreSQL text cannot hold U+0000; refusing it everywhere keeps every backend's answer the same.
const NUL = '\u0000';

export interface ValidateBatchOptions {
  /**
   * The JSON text of each input, where the caller holds it (`appendValidated`): an input core
   * validated in this process is then taken with it as it is, neither checked nor encoded again.
   */
  readonly json?: readonly (string | undefined)[];
  /** Whether the caller needs `json` (default true; the memory store does not). */
  readonly withJson?: boolean;
}

/**
 * Validates a whole batch before any of it is written: one bad delta rejects the batch with
 * STORAGE_INVALID_INPUT, the core error as `cause` and the offending index in `path`.
 */
export function validateBatch(
  input: readonly unknown[],
  options: ValidateBatchOptions = {},
): ValidatedBatch {
  const known = options.json;
  const withJson = options.withJson ?? true;
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
      if (withJson) ({ delta, json: text } = parseDeltaWithKnownJson(value, known?.[index]));
      else [delta, text] = [parseDelta(value), ''];
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
      if (withJson) json.push(text);
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

/**
 * The input of `appendValidated` as plain lists: the deltas, and the JSON text of each that
 * came with one. A malformed entry yields an undefined delta, which validation then refuses.
 */
export function splitParsed(input: readonly unknown[]): {
  deltas: unknown[];
  json: (string | undefined)[];
} {
  if (!Array.isArray(input)) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'appendValidated() takes an array');
  }
  const deltas: unknown[] = new Array<unknown>(input.length);
  const json: (string | undefined)[] = new Array<string | undefined>(input.length);
  for (let i = 0; i < input.length; i++) {
    const entry = input[i] as { delta?: unknown; json?: unknown } | null | undefined;
    deltas[i] = typeof entry === 'object' && entry !== null ? entry.delta : undefined;
    json[i] = typeof entry?.json === 'string' ? entry.json : undefined;
  }
  return { deltas, json };
}
