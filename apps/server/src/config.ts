import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { peerAddressSchema } from '@rhizome/api';
import { SIGNATURE_POLICIES, type SignaturePolicy } from '@rhizome/node';
import { peerPolicySchema, type PeerPolicy } from '@rhizome/sync';
import { z } from 'zod';
import type { ConnectionLimits } from './connection-limits.ts';
import type { SyncConfig } from './sync.ts';
import { MIN_TOKEN_LENGTH, parseTokens, type TokenEntry } from './tokens.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** Absolute path of the PGlite data directory (unused with a database URL). */
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string | undefined;
  readonly nodeId: string;
  readonly tokens: readonly TokenEntry[];
  readonly bodyLimit: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly shutdownTimeoutMs: number;
  /** RHIZOME_STREAM_BUFFER: deltas a raw-stream subscriber may fall behind before it is dropped. */
  readonly streamBufferSize: number;
  /** RHIZOME_CACHE_MB: the entity cache's budget, in bytes (the estimated size of resident closures). */
  readonly cacheBytes: number;
  /** RHIZOME_MAX_WATCHED_ENTITIES: entities live entity subscriptions may hold resident. */
  readonly maxWatchedEntities: number;
  /** RHIZOME_QUERY_MAX_SORTED: candidates a sorted query may scan (past it: QUERY_TOO_BROAD). */
  readonly maxSortedCandidates: number;
  /** RHIZOME_VALIDATE_MAX_SCAN: candidates one page of GET /api/schemas/:name/invalid checks. */
  readonly maxValidationScan: number;
  /** Timeouts and the per-address cap of client connections (RHIZOME_*_TIMEOUT_MS, …). */
  readonly connections: ConnectionLimits;
  /** RHIZOME_CORS_ORIGINS: web origins that may call the node from a browser, CORS included. */
  readonly corsOrigins: readonly string[];
  /** RHIZOME_DEBUG_ERRORS: stack traces in tRPC error bodies (off unless asked for). */
  readonly debugErrors: boolean;
  /**
   * Plugin packages to load at start (RHIZOME_PLUGINS / `--plugin`): package names, or paths of
   * plugin modules (relative ones as given; `loadPlugins` resolves them against `cwd`).
   */
  readonly plugins: readonly string[];
  /** Where the command ran: relative plugin paths and package names resolve from here. */
  readonly cwd: string;
  /** Peers, credentials and advertised addresses of the sync endpoint (`/sync`). */
  readonly sync: SyncConfig;
  /**
   * RHIZOME_REQUIRE_SIGNATURES: which unsigned deltas writers and peers may store (a signature
   * that does not verify is refused whatever this says).
   */
  readonly requireSignatures: SignaturePolicy;
  /** RHIZOME_ADMIN_KEYS: public keys that may list and revoke creators' keys (`_creator:<id>`). */
  readonly adminKeys: readonly string[];
  /**
   * RHIZOME_SIGNING_KEYS_FILE and RHIZOME_SIGNING_KEYS_PASSPHRASE: a sealed file of creators'
   * secret keys; the server signs the writes of tokens bound to those creators.
   */
  readonly signingKeys: { readonly file: string; readonly passphrase: string } | undefined;
}

/** Every problem with the configuration at once, one line per variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly { readonly variable: string; readonly message: string }[];

  constructor(problems: readonly { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be an integer from ${min} to ${max}`);

/**
 * Marks a problem of one entry of a list variable: its message names the entry, so the whole
 * variable's value is not repeated after it.
 */
const ENTRY_NAMED = { entryNamed: true } as const;

/** Comma-separated sync addresses, each checked and normalised (see `peerAddressSchema`). */
function addressList() {
  return z.string().transform((text, ctx) => {
    const addresses: string[] = [];
    for (const [i, item] of text.split(',').entries()) {
      const parsed = peerAddressSchema.safeParse(item);
      if (parsed.success) {
        if (!addresses.includes(parsed.data)) addresses.push(parsed.data);
      } else {
        ctx.addIssue({
          code: 'custom',
          // The address schema's messages quote the address.
          message: `entry ${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
          params: ENTRY_NAMED,
        });
      }
    }
    return addresses;
  });
}

/** Comma-separated web origins (`https://app.example.org`), each normalised to its origin. */
/** JSON: `{ "<peer token's creator>" | "*": { creators?, entityPrefixes?, schemas?, negateOthers? } }`. */
function peerPolicies() {
  return z.string().transform((text, ctx): Record<string, PeerPolicy> => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
    const parsed = z.record(z.string().min(1), peerPolicySchema).safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      ctx.addIssue({
        code: 'custom',
        message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      });
      return z.NEVER;
    }
    return parsed.data;
  });
}

function originList() {
  return z.string().transform((text, ctx) => {
    const origins: string[] = [];
    for (const [i, raw] of text.split(',').entries()) {
      const item = raw.trim();
      let url: URL | undefined;
      try {
        url = new URL(item);
      } catch {
        url = undefined;
      }
      if (
        url === undefined ||
        !['http:', 'https:'].includes(url.protocol) ||
        url.origin !== item.replace(/\/$/, '')
      ) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1} (${JSON.stringify(item)}) must be an origin such as https://app.example.org`,
          params: ENTRY_NAMED,
        });
      } else if (!origins.includes(url.origin)) origins.push(url.origin);
    }
    return origins;
  });
}

/** Comma-separated Ed25519 public keys, 64 hex digits each, written back in lowercase. */
function publicKeyList() {
  return z
    .string()
    .transform((text, ctx) => {
      const keys: string[] = [];
      for (const [i, raw] of text.split(',').entries()) {
        const item = raw.trim().toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(item)) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1} must be an Ed25519 public key (64 hex digits)`,
          });
        } else if (!keys.includes(item)) keys.push(item);
      }
      return keys;
    })
    .optional();
}

/** Comma-separated plugin packages or module paths; whether each loads is checked at start. */
function pluginList() {
  return z
    .string()
    .transform((text, ctx) => {
      const plugins: string[] = [];
      for (const [i, raw] of text.split(',').entries()) {
        const item = raw.trim();
        if (item === '') {
          ctx.addIssue({ code: 'custom', message: `entry ${i + 1} is empty`, params: ENTRY_NAMED });
        } else if (item.includes('#') || /\s/.test(item)) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1} (${JSON.stringify(item)}) must be a package name or a path, without "#" or spaces`,
            params: ENTRY_NAMED,
          });
        } else if (!plugins.includes(item)) plugins.push(item);
      }
      return plugins;
    })
    .optional();
}

const envSchema = z.object({
  PORT: integer(0, 65_535).default(8080),
  HOST: z.string().min(1, 'must not be empty').optional(),
  RHIZOME_DATA_DIR: z.string().min(1, 'must not be empty').optional(),
  DATABASE_URL: z
    .string()
    .refine((value) => {
      try {
        return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  RHIZOME_DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .optional(),
  RHIZOME_NODE_ID: z
    .string()
    .min(1, 'must not be empty')
    .max(512, 'must be at most 512 characters')
    .refine((id) => !id.includes('\u0000'), 'must not contain NUL')
    .optional(),
  RHIZOME_TOKENS: z.string().optional(),
  RHIZOME_BODY_LIMIT: integer(1024, 256 * 1024 * 1024).default(4 * 1024 * 1024),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  RHIZOME_SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  RHIZOME_PLUGINS: pluginList(),
  RHIZOME_PEERS: addressList().optional(),
  RHIZOME_PEER_TOKEN: z
    .string()
    .min(MIN_TOKEN_LENGTH, `must be at least ${MIN_TOKEN_LENGTH} characters`)
    .regex(/^\S+$/, 'must not contain spaces')
    .optional(),
  RHIZOME_SYNC_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  RHIZOME_ADVERTISE: addressList().optional(),
  RHIZOME_CORS_ORIGINS: originList().optional(),
  RHIZOME_STREAM_BUFFER: integer(1, 1_000_000).default(1_000),
  RHIZOME_CACHE_MB: integer(1, 1_048_576).default(256),
  RHIZOME_MAX_WATCHED_ENTITIES: integer(1, 10_000_000).default(100_000),
  RHIZOME_QUERY_MAX_SORTED: integer(1, 10_000_000).default(10_000),
  RHIZOME_VALIDATE_MAX_SCAN: integer(1, 10_000_000).default(10_000),
  RHIZOME_HEADERS_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  RHIZOME_REQUEST_TIMEOUT_MS: integer(100, 3_600_000).default(60_000),
  RHIZOME_KEEP_ALIVE_TIMEOUT_MS: integer(100, 600_000).default(5_000),
  RHIZOME_MAX_CONNECTIONS_PER_ADDRESS: integer(1, 1_000_000).default(1_024),
  RHIZOME_DEBUG_ERRORS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
  RHIZOME_SYNC_MAX_PENDING_HANDSHAKES: integer(1, 100_000).default(64),
  RHIZOME_SYNC_MAX_PENDING_HANDSHAKES_PER_ADDRESS: integer(1, 100_000).default(8),
  RHIZOME_SYNC_COMPRESSION: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  RHIZOME_REQUIRE_SIGNATURES: z
    .enum(SIGNATURE_POLICIES, { error: `must be one of ${SIGNATURE_POLICIES.join(', ')}` })
    .default('off'),
  RHIZOME_ADMIN_KEYS: publicKeyList(),
  RHIZOME_SIGNING_KEYS_FILE: z.string().min(1).optional(),
  RHIZOME_SIGNING_KEYS_PASSPHRASE: z.string().min(1).optional(),
  RHIZOME_SYNC_PEER_POLICY: peerPolicies().optional(),
  RHIZOME_SYNC_MAX_BUFFERED_BYTES: integer(64 * 1024, 1024 * 1024 * 1024).default(1024 * 1024),
  RHIZOME_SYNC_STALL_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  RHIZOME_SYNC_RECENT_ENTRIES: integer(0, 1_000_000).default(4_096),
});

export interface LoadConfigOptions {
  /** Relative paths (RHIZOME_DATA_DIR) resolve against this; defaults to where pnpm was invoked. */
  readonly cwd?: string;
}

/**
 * Reads and validates the configuration from the environment. Empty variables count as unset.
 * Throws ConfigError listing every bad value.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): ServerConfig {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const problems: { variable: string; message: string }[] = [];
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? '?');
      const entryNamed = issue.code === 'custom' && issue.params?.entryNamed === true;
      const value = entryNamed ? undefined : cleaned[variable];
      problems.push({
        variable,
        message: `${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`,
      });
    }
  }
  const tokens = parseTokens(cleaned.RHIZOME_TOKENS ?? '');
  if (!tokens.ok) problems.push({ variable: 'RHIZOME_TOKENS', message: tokens.message });
  if (problems.length > 0 || !parsed.success || !tokens.ok) throw new ConfigError(problems);

  const values = parsed.data;
  const open = tokens.tokens.length === 0;
  if (open && values.HOST !== undefined && !LOOPBACK.has(values.HOST)) {
    throw new ConfigError([
      {
        variable: 'HOST',
        message: `without RHIZOME_TOKENS the node runs open and binds loopback only (got ${JSON.stringify(values.HOST)})`,
      },
    ]);
  }
  if (
    (values.RHIZOME_SIGNING_KEYS_FILE === undefined) !==
    (values.RHIZOME_SIGNING_KEYS_PASSPHRASE === undefined)
  ) {
    throw new ConfigError([
      values.RHIZOME_SIGNING_KEYS_FILE === undefined
        ? {
            variable: 'RHIZOME_SIGNING_KEYS_PASSPHRASE',
            message: 'is set without RHIZOME_SIGNING_KEYS_FILE',
          }
        : {
            variable: 'RHIZOME_SIGNING_KEYS_FILE',
            message: 'needs RHIZOME_SIGNING_KEYS_PASSPHRASE to open it',
          },
    ]);
  }
  // pnpm runs package scripts in the package directory; INIT_CWD is where the user typed the command.
  const cwd = options.cwd ?? env.INIT_CWD ?? process.cwd();
  const keyFile = values.RHIZOME_SIGNING_KEYS_FILE;
  const dataDir = values.RHIZOME_DATA_DIR ?? '.rhizome-data/pglite';
  return {
    port: values.PORT,
    host: values.HOST ?? (open ? '127.0.0.1' : '0.0.0.0'),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    databaseUrl: values.DATABASE_URL,
    databaseSchema: values.RHIZOME_DATABASE_SCHEMA,
    nodeId: values.RHIZOME_NODE_ID ?? hostname(),
    tokens: tokens.tokens,
    bodyLimit: values.RHIZOME_BODY_LIMIT,
    logLevel: values.LOG_LEVEL,
    shutdownTimeoutMs: values.RHIZOME_SHUTDOWN_TIMEOUT_MS,
    debugErrors: values.RHIZOME_DEBUG_ERRORS === 'on',
    corsOrigins: values.RHIZOME_CORS_ORIGINS ?? [],
    streamBufferSize: values.RHIZOME_STREAM_BUFFER,
    cacheBytes: values.RHIZOME_CACHE_MB * 1024 * 1024,
    maxWatchedEntities: values.RHIZOME_MAX_WATCHED_ENTITIES,
    maxSortedCandidates: values.RHIZOME_QUERY_MAX_SORTED,
    maxValidationScan: values.RHIZOME_VALIDATE_MAX_SCAN,
    connections: {
      headersTimeoutMs: values.RHIZOME_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: values.RHIZOME_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: values.RHIZOME_KEEP_ALIVE_TIMEOUT_MS,
      maxConnectionsPerAddress: values.RHIZOME_MAX_CONNECTIONS_PER_ADDRESS,
    },
    plugins: values.RHIZOME_PLUGINS ?? [],
    cwd,
    sync: {
      peers: values.RHIZOME_PEERS ?? [],
      peerToken: values.RHIZOME_PEER_TOKEN,
      secret: values.RHIZOME_SYNC_SECRET,
      advertise: values.RHIZOME_ADVERTISE ?? [],
      compress: values.RHIZOME_SYNC_COMPRESSION === 'on',
      maxPendingHandshakes: values.RHIZOME_SYNC_MAX_PENDING_HANDSHAKES,
      maxPendingHandshakesPerAddress: values.RHIZOME_SYNC_MAX_PENDING_HANDSHAKES_PER_ADDRESS,
      ...(values.RHIZOME_SYNC_PEER_POLICY === undefined
        ? {}
        : { peerPolicies: values.RHIZOME_SYNC_PEER_POLICY }),
      maxBufferedBytes: values.RHIZOME_SYNC_MAX_BUFFERED_BYTES,
      stallTimeoutMs: values.RHIZOME_SYNC_STALL_TIMEOUT_MS,
      recentEntries: values.RHIZOME_SYNC_RECENT_ENTRIES,
    },
    requireSignatures: values.RHIZOME_REQUIRE_SIGNATURES,
    adminKeys: values.RHIZOME_ADMIN_KEYS ?? [],
    signingKeys:
      keyFile === undefined || values.RHIZOME_SIGNING_KEYS_PASSPHRASE === undefined
        ? undefined
        : {
            file: isAbsolute(keyFile) ? keyFile : resolve(cwd, keyFile),
            passphrase: values.RHIZOME_SIGNING_KEYS_PASSPHRASE,
          },
  };
}

/** One `rhizome serve` flag and the variable it sets. */
export interface ConfigFlag {
  /** Without the leading `--`. */
  readonly flag: string;
  readonly variable: string;
  /** Placeholder in help, e.g. `<n>`; absent for a switch. */
  readonly value?: string;
  /** May be repeated; the values are joined with commas (the variable's list form). */
  readonly multiple?: boolean;
  readonly help: string;
}

/**
 * Every setting as a `rhizome serve` flag. A flag only sets its variable, so flags and the
 * environment go through the same validation (`loadConfig`) and a flag wins over the variable.
 */
export const CONFIG_FLAGS: readonly ConfigFlag[] = [
  { flag: 'port', variable: 'PORT', value: '<n>', help: 'port, 0 for any free one (default 8080)' },
  {
    flag: 'host',
    variable: 'HOST',
    value: '<addr>',
    help: 'bind address (loopback only without tokens)',
  },
  {
    flag: 'data-dir',
    variable: 'RHIZOME_DATA_DIR',
    value: '<dir>',
    help: 'PGlite directory (default ./.rhizome-data/pglite)',
  },
  {
    flag: 'database-url',
    variable: 'DATABASE_URL',
    value: '<url>',
    help: 'postgres:// URL: use this PostgreSQL instead of PGlite',
  },
  {
    flag: 'database-schema',
    variable: 'RHIZOME_DATABASE_SCHEMA',
    value: '<name>',
    help: 'PostgreSQL schema for the tables (default public)',
  },
  {
    flag: 'node-id',
    variable: 'RHIZOME_NODE_ID',
    value: '<id>',
    help: 'stamped as host on deltas the node builds (default the host name)',
  },
  {
    flag: 'tokens',
    variable: 'RHIZOME_TOKENS',
    value: '<spec>',
    help: 'token=creator:scope+scope,… or JSON (none: open mode)',
  },
  {
    flag: 'plugin',
    variable: 'RHIZOME_PLUGINS',
    value: '<package|path>',
    multiple: true,
    help: 'load a resolver plugin package or module file (repeatable)',
  },
  {
    flag: 'body-limit',
    variable: 'RHIZOME_BODY_LIMIT',
    value: '<bytes>',
    help: 'largest request body (default 4194304)',
  },
  {
    flag: 'peer',
    variable: 'RHIZOME_PEERS',
    value: '<ws://host:port/sync>',
    multiple: true,
    help: 'another node to sync with, kept linked (repeatable)',
  },
  {
    flag: 'peer-token',
    variable: 'RHIZOME_PEER_TOKEN',
    value: '<token>',
    help: 'bearer token presented to peers that check tokens',
  },
  {
    flag: 'sync-secret',
    variable: 'RHIZOME_SYNC_SECRET',
    value: '<secret>',
    help: 'shared secret every sync link must prove (16+ characters)',
  },
  {
    flag: 'advertise',
    variable: 'RHIZOME_ADVERTISE',
    value: '<ws://host:port/sync>',
    multiple: true,
    help: "this node's sync address, told to peers (repeatable)",
  },
  {
    flag: 'cors-origin',
    variable: 'RHIZOME_CORS_ORIGINS',
    value: '<origin>',
    multiple: true,
    help: 'a web origin allowed to call the node from a browser (repeatable)',
  },
  {
    flag: 'stream-buffer',
    variable: 'RHIZOME_STREAM_BUFFER',
    value: '<n>',
    help: 'deltas a raw-stream subscriber may fall behind before it is dropped (default 1000)',
  },
  {
    flag: 'cache-mb',
    variable: 'RHIZOME_CACHE_MB',
    value: '<MiB>',
    help: 'memory for entity closures read from storage, least recently used evicted (default 256)',
  },
  {
    flag: 'max-watched-entities',
    variable: 'RHIZOME_MAX_WATCHED_ENTITIES',
    value: '<n>',
    help: 'entities live entity subscriptions may keep resident (default 100000)',
  },
  {
    flag: 'query-max-sorted',
    variable: 'RHIZOME_QUERY_MAX_SORTED',
    value: '<n>',
    help: 'candidate entities a sorted query may scan before QUERY_TOO_BROAD (default 10000)',
  },
  {
    flag: 'validate-max-scan',
    variable: 'RHIZOME_VALIDATE_MAX_SCAN',
    value: '<n>',
    help: 'candidate entities one page of invalid-entity reports checks; a cursor goes on (default 10000)',
  },
  {
    flag: 'headers-timeout-ms',
    variable: 'RHIZOME_HEADERS_TIMEOUT_MS',
    value: '<ms>',
    help: 'request headers must arrive within this, idle new connections too (default 10000)',
  },
  {
    flag: 'request-timeout-ms',
    variable: 'RHIZOME_REQUEST_TIMEOUT_MS',
    value: '<ms>',
    help: 'a whole request must arrive within this (default 60000)',
  },
  {
    flag: 'keep-alive-timeout-ms',
    variable: 'RHIZOME_KEEP_ALIVE_TIMEOUT_MS',
    value: '<ms>',
    help: 'idle keep-alive connections close after this (default 5000)',
  },
  {
    flag: 'max-connections-per-address',
    variable: 'RHIZOME_MAX_CONNECTIONS_PER_ADDRESS',
    value: '<n>',
    help: 'open connections from one address at most (default 1024)',
  },
  {
    flag: 'debug-errors',
    variable: 'RHIZOME_DEBUG_ERRORS',
    value: '<on|off>',
    help: 'stack traces in tRPC error bodies, for debugging only (default off)',
  },
  {
    flag: 'sync-max-pending-handshakes',
    variable: 'RHIZOME_SYNC_MAX_PENDING_HANDSHAKES',
    value: '<n>',
    help: 'sync links still in their handshake at most (default 64)',
  },
  {
    flag: 'sync-max-pending-handshakes-per-address',
    variable: 'RHIZOME_SYNC_MAX_PENDING_HANDSHAKES_PER_ADDRESS',
    value: '<n>',
    help: 'sync handshakes in progress from one address at most (default 8)',
  },
  {
    flag: 'sync-compression',
    variable: 'RHIZOME_SYNC_COMPRESSION',
    value: '<on|off>',
    help: 'permessage-deflate on sync links (default on)',
  },
  {
    flag: 'require-signatures',
    variable: 'RHIZOME_REQUIRE_SIGNATURES',
    value: '<off|creators-with-keys|all>',
    help: 'which unsigned deltas writers and peers may store (default off)',
  },
  {
    flag: 'admin-key',
    variable: 'RHIZOME_ADMIN_KEYS',
    value: '<hex>',
    multiple: true,
    help: "public key that may list and revoke creators' keys (repeatable)",
  },
  {
    flag: 'signing-keys-file',
    variable: 'RHIZOME_SIGNING_KEYS_FILE',
    value: '<path>',
    help: "sealed creators' secret keys: the server signs the writes of tokens bound to them",
  },
  {
    flag: 'sync-peer-policy',
    variable: 'RHIZOME_SYNC_PEER_POLICY',
    value: '<json>',
    help: 'what each peer may replicate, by its token\'s creator or "*" (creators, entityPrefixes, schemas, negateOthers)',
  },
  {
    flag: 'sync-max-buffered-bytes',
    variable: 'RHIZOME_SYNC_MAX_BUFFERED_BYTES',
    value: '<bytes>',
    help: 'unsent bytes one sync link may hold before sending pauses (default 1048576)',
  },
  {
    flag: 'sync-stall-timeout-ms',
    variable: 'RHIZOME_SYNC_STALL_TIMEOUT_MS',
    value: '<ms>',
    help: 'how long a sync link may stay at that cap before it is dropped (default 30000)',
  },
  {
    flag: 'sync-recent-entries',
    variable: 'RHIZOME_SYNC_RECENT_ENTRIES',
    value: '<count>',
    help: 'newest feed entries kept in memory for peers at the live edge (default 4096; 0: none)',
  },
  { flag: 'log-level', variable: 'LOG_LEVEL', value: '<level>', help: 'pino level (default info)' },
  {
    flag: 'shutdown-timeout-ms',
    variable: 'RHIZOME_SHUTDOWN_TIMEOUT_MS',
    value: '<ms>',
    help: 'grace period for busy connections at shutdown (default 10000)',
  },
];

/**
 * The environment with the flags' values set on top: `flags` maps a flag name to its value (or
 * values, for a repeatable flag). Unknown names are ignored.
 */
export function applyConfigFlags(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | boolean | readonly string[] | undefined>>,
): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...env };
  for (const { flag, variable } of CONFIG_FLAGS) {
    const value = flags[flag];
    if (typeof value === 'string') merged[variable] = value;
    else if (Array.isArray(value)) merged[variable] = value.join(',');
  }
  return merged;
}
