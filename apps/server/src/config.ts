import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parseTokens, type TokenEntry } from './tokens.ts';

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
      const value = cleaned[variable];
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
  // pnpm runs package scripts in the package directory; INIT_CWD is where the user typed the command.
  const cwd = options.cwd ?? env.INIT_CWD ?? process.cwd();
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
  };
}
