import { isRhizomeError } from '@rhizome/core';
import { StorageError, StorageErrorCode } from '@rhizome/storage';

// Node and postgres-js codes for a connection that never came up or went away.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * Maps a driver failure onto a storage error code by SQLSTATE class, so callers can tell
 * "retry later" from "your input" from "broken" without knowing the driver.
 */
export function toStorageError(error: unknown, action: string): StorageError {
  if (isRhizomeError(error) && error instanceof StorageError) return error;
  const code = findCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return new StorageError(classify(code), `${action} failed: ${message}`, {
    cause: error,
    ...(code === '' ? {} : { details: { databaseCode: code } }),
  });
}

function classify(code: string): StorageErrorCode {
  if (UNAVAILABLE_CODES.has(code)) return StorageErrorCode.Unavailable;
  // 08 connection exception, 53 insufficient resources, 57P01-57P03 shutdown / cannot connect now.
  if (code.startsWith('08') || code.startsWith('53') || /^57P0[123]$/.test(code))
    return StorageErrorCode.Unavailable;
  // 40 serialization failure / deadlock, 55P03 lock not available, 23 integrity constraint.
  if (code.startsWith('40') || code === '55P03' || code.startsWith('23'))
    return StorageErrorCode.Conflict;
  // 22 data exception: a value the database refused.
  if (code.startsWith('22')) return StorageErrorCode.InvalidInput;
  // 25006 read_only_sql_transaction: a hot standby, or a read-only role or session.
  if (code === '25006') return StorageErrorCode.ReadOnly;
  return StorageErrorCode.Failed;
}

// drizzle wraps driver errors (DrizzleQueryError) and Node may raise an AggregateError: the
// SQLSTATE or socket code can sit a few causes down.
function findCode(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause, errors } = current as {
      code?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && code !== '') return code;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return '';
}
