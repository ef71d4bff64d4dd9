import { StorageError, StorageErrorCode } from './errors.ts';
import { StorageLimits } from './types.ts';

/** Checks a page size so every backend rejects the same nonsense the same way. */
export function resolvePageSize(limit: number | undefined): number {
  if (limit === undefined) return StorageLimits.defaultPageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > StorageLimits.maxPageSize) {
    throw new StorageError(
      StorageErrorCode.InvalidInput,
      `limit must be an integer from 1 to ${StorageLimits.maxPageSize}, got ${limit}`,
    );
  }
  return limit;
}

export function resolveCursor(after: number | undefined): number {
  if (after === undefined) return 0;
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new StorageError(
      StorageErrorCode.InvalidInput,
      `after must be a non-negative integer, got ${after}`,
    );
  }
  return after;
}

export function checkIdCount(ids: readonly string[], what: string): void {
  if (!Array.isArray(ids))
    throw new StorageError(StorageErrorCode.InvalidInput, `${what} takes an array of ids`);
  if (ids.length > StorageLimits.maxIdsPerCall) {
    throw new StorageError(
      StorageErrorCode.InvalidInput,
      `${what} takes at most ${StorageLimits.maxIdsPerCall} ids, got ${ids.length}`,
    );
  }
}

export function checkAsOf(asOf: number | undefined): void {
  if (asOf !== undefined && !Number.isFinite(asOf)) {
    throw new StorageError(
      StorageErrorCode.InvalidInput,
      `asOf must be a finite number, got ${asOf}`,
    );
  }
}

/** Checks `entities({ properties })`: a list of property names, not too many. */
export function checkProperties(properties: readonly string[] | undefined): void {
  if (properties === undefined) return;
  if (!Array.isArray(properties) || properties.some((name) => typeof name !== 'string')) {
    throw new StorageError(StorageErrorCode.InvalidInput, 'properties must be an array of strings');
  }
  if (properties.length > StorageLimits.maxPropertiesPerQuery) {
    throw new StorageError(
      StorageErrorCode.InvalidInput,
      `properties takes at most ${StorageLimits.maxPropertiesPerQuery} names, got ${properties.length}`,
    );
  }
}
