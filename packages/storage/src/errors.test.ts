import { RhizomeError } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import {
  StorageError,
  StorageErrorCode,
  isRetryableStorageError,
  isStorageError,
} from './errors.ts';

describe('storage errors', () => {
  it('are matched by code, also when built by another copy of the package', () => {
    const own = new StorageError(StorageErrorCode.Conflict, 'busy');
    // What a second copy of @rhizome/storage would throw: same shape, different class.
    const foreign = new RhizomeError('STORAGE_CONFLICT', 'busy');
    expect(isStorageError(own, StorageErrorCode.Conflict)).toBe(true);
    expect(isStorageError(foreign, StorageErrorCode.Conflict)).toBe(true);
    expect(isStorageError(new RhizomeError('DELTA_INVALID', 'no'))).toBe(false);
    expect(isStorageError(new Error('plain'))).toBe(false);
    expect(own.toJSON()).toEqual({ code: 'STORAGE_CONFLICT', message: 'busy' });
  });

  it('say which failures are worth retrying', () => {
    expect(isRetryableStorageError(new StorageError(StorageErrorCode.Unavailable, 'down'))).toBe(
      true,
    );
    expect(isRetryableStorageError(new StorageError(StorageErrorCode.Conflict, 'busy'))).toBe(true);
    expect(isRetryableStorageError(new StorageError(StorageErrorCode.InvalidInput, 'bad'))).toBe(
      false,
    );
  });
});
