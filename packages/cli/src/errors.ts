/**
 * Exit codes are part of the CLI's contract: scripts branch on them, so they only ever grow.
 * Match errors on `code` (a stable string), never on the message.
 */
export const ExitCode = {
  ok: 0,
  /** The node answered with an error; its API `code` is printed. */
  serverError: 1,
  /** Bad arguments, bad input file, or a command that is not available. */
  usage: 2,
  /** The entity, delta, schema or peer does not exist. */
  notFound: 3,
  /** No Rhizome node answered at the URL. */
  unreachable: 4,
  /** The node refused the token (missing, unknown, or lacking the scope). */
  unauthorized: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes the CLI raises itself; every other code comes from the node (see docs/http-api.md). */
export const CliErrorCode = {
  usageInvalid: 'USAGE_INVALID',
  inputInvalid: 'INPUT_INVALID',
  fileUnreadable: 'FILE_UNREADABLE',
  checkpointStale: 'CHECKPOINT_STALE',
  notAvailable: 'NOT_AVAILABLE',
  serverUnreachable: 'SERVER_UNREACHABLE',
} as const;

export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly details: unknown;

  constructor(
    code: string,
    message: string,
    exitCode: ExitCodeValue,
    options: { details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
    this.details = options.details ?? null;
  }
}

export function createUsageError(message: string, details?: unknown): CliError {
  return new CliError(CliErrorCode.usageInvalid, message, ExitCode.usage, { details });
}

/** Duck-typed so that two copies of this package still recognise each other's errors. */
export function isCliError(error: unknown): error is CliError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { exitCode?: unknown }).exitCode === 'number'
  );
}

const AUTH_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'CREATOR_MISMATCH']);

/** The exit code for an error code the node returned. */
export function getExitCodeForServerCode(code: string): ExitCodeValue {
  if (code.endsWith('_NOT_FOUND') || code === 'SCHEMA_UNKNOWN') return ExitCode.notFound;
  if (AUTH_CODES.has(code)) return ExitCode.unauthorized;
  return ExitCode.serverError;
}
