/**
 * Every error Rhizome throws on purpose carries a stable string `code`. Match on `code`, never on
 * `instanceof`: two copies of a package in one process break `instanceof`.
 */
export const CoreErrorCode = {
  DeltaInvalid: 'DELTA_INVALID',
  DeltaIdMismatch: 'DELTA_ID_MISMATCH',
  PointerInvalid: 'POINTER_INVALID',
  DeltaTooLarge: 'DELTA_TOO_LARGE',
  BuilderInvalid: 'BUILDER_INVALID',
  BuilderConflict: 'BUILDER_CONFLICT',
  ClockDrift: 'CLOCK_DRIFT',
  LegacyImportInvalid: 'LEGACY_IMPORT_INVALID',
  SignatureMissing: 'SIGNATURE_MISSING',
  SignatureInvalid: 'SIGNATURE_INVALID',
  KeyUnknown: 'KEY_UNKNOWN',
  SigningKeyInvalid: 'SIGNING_KEY_INVALID',
} as const;

export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** A JSON path to the offending part of an input, e.g. `['pointers', 2, 'target']`. */
export type ErrorPath = readonly (string | number)[];

export interface RhizomeErrorOptions {
  readonly cause?: unknown;
  readonly path?: ErrorPath;
  readonly details?: unknown;
}

/** Base class of every Rhizome error. Other packages extend it with their own codes. */
export class RhizomeError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly path: ErrorPath | undefined;
  readonly details: unknown;

  constructor(code: Code, message: string, options: RhizomeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RhizomeError';
    this.code = code;
    this.path = options.path;
    this.details = options.details;
  }

  /** The shape every boundary (HTTP, tRPC, sync, CLI) puts on the wire. */
  toJSON(): { code: Code; message: string; path?: ErrorPath; details?: unknown } {
    return {
      code: this.code,
      message: this.message,
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** True when `error` is a Rhizome error, optionally with the given code. Works across copies. */
export function isRhizomeError<Code extends string = string>(
  error: unknown,
  code?: Code,
): error is RhizomeError<Code> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; name?: unknown };
  if (typeof candidate.code !== 'string' || !(error instanceof Error)) return false;
  return code === undefined || candidate.code === code;
}

export function formatPath(path: ErrorPath): string {
  let out = '$';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `.${part}`;
  return out;
}
