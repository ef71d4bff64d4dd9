import { RhizomeError, isRhizomeError, type RhizomeErrorOptions } from '@rhizome/core';

/**
 * Stable codes of storage failures. Callers match on these (never on `instanceof`) to decide
 * whether to retry (UNAVAILABLE, CONFLICT), to blame the input (INVALID_INPUT) or to give up.
 */
export const StorageErrorCode = {
  /** The database cannot be reached or went away; retrying later may succeed. */
  Unavailable: 'STORAGE_UNAVAILABLE',
  /** A concurrent writer, a lock or a constraint got in the way; the batch was not written. */
  Conflict: 'STORAGE_CONFLICT',
  /** The input was rejected before anything was written. */
  InvalidInput: 'STORAGE_INVALID_INPUT',
  /**
   * The database refuses writes (a read-only replica, or a role or session that is read-only);
   * reads keep working.
   */
  ReadOnly: 'STORAGE_READ_ONLY',
  /** The store was used after `close()`. */
  Closed: 'STORAGE_CLOSED',
  /** Any other database failure (including a stored row that no longer parses). */
  Failed: 'STORAGE_FAILED',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

const STORAGE_CODES: ReadonlySet<string> = new Set(Object.values(StorageErrorCode));

/** A storage failure. Extends RhizomeError so every boundary serialises it the same way. */
export class StorageError extends RhizomeError<StorageErrorCode> {
  constructor(code: StorageErrorCode, message: string, options: RhizomeErrorOptions = {}) {
    super(code, message, options);
    this.name = 'StorageError';
  }
}

/** True when `error` is a storage error, optionally with the given code. Works across copies. */
export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return (
    isRhizomeError(error) &&
    STORAGE_CODES.has(error.code) &&
    (code === undefined || error.code === code)
  );
}

/** True for failures worth retrying unchanged: the database was away or a writer got in the way. */
export function isRetryableStorageError(error: unknown): boolean {
  return (
    isStorageError(error, StorageErrorCode.Unavailable) ||
    isStorageError(error, StorageErrorCode.Conflict)
  );
}
