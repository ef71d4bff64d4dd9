import { isStorageError, StorageErrorCode } from '@rhizome/storage';
import type { ServerConfig } from './config.ts';
import { SigningKeysError } from './signing-keys.ts';

type StartupConfig = Pick<ServerConfig, 'databaseUrl' | 'dataDir' | 'host' | 'port'>;

/** `host:port/database` of a PostgreSQL URL: what was tried, without the credentials. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${database === '' ? '' : `/${database}`}`;
  } catch {
    return 'an unparsable URL';
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

/** The driver's own words: the message of the innermost cause, first line only. */
function rootMessage(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (cause === undefined || cause === null) break;
    current = cause;
  }
  const message = current instanceof Error ? current.message : String(current);
  return message.split('\n')[0]!;
}

/**
 * One line for a failure an operator can fix at start (storage out of reach, port taken), or
 * undefined for anything else, which is a bug and keeps its stack. Never shows credentials.
 */
export function describeStartupError(error: unknown, config: StartupConfig): string | undefined {
  if (error instanceof SigningKeysError) {
    return `${error.code}: cannot open the signing key file (RHIZOME_SIGNING_KEYS_FILE, RHIZOME_SIGNING_KEYS_PASSPHRASE): ${error.message}`;
  }
  if (isStorageError(error)) {
    const details = error.details as { databaseCode?: unknown } | undefined;
    const code = typeof details?.databaseCode === 'string' ? details.databaseCode : error.code;
    if (config.databaseUrl === undefined) {
      return `cannot open the PGlite data directory ${config.dataDir} (RHIZOME_DATA_DIR): ${code}: ${rootMessage(error)}`;
    }
    const target = describeDatabaseUrl(config.databaseUrl);
    if (isStorageError(error, StorageErrorCode.Unavailable)) {
      return `cannot reach PostgreSQL at ${target} (DATABASE_URL): ${code}`;
    }
    return `cannot open PostgreSQL at ${target} (DATABASE_URL): ${code}: ${rootMessage(error)}`;
  }
  const code = codeOf(error);
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return `cannot listen on ${config.host}:${config.port} (HOST, PORT): ${code}`;
  }
  return undefined;
}
