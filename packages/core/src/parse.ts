import type { z } from 'zod';
import { encodeCanonicalContent } from './canonical.ts';
import { CoreErrorCode, RhizomeError, formatPath, type ErrorPath } from './errors.ts';
import { sha256Base64Url } from '#sha256';
import { DeltaLimits } from './limits.ts';
import { isValidDeltaContentShape, isValidDeltaShape } from './fast-validate.ts';
import { deltaContentSchema, deltaSchema } from './schema.ts';
import { isVerifiedDelta, markVerified } from './verified.ts';
import type { Delta, DeltaContent, Pointer } from './types.ts';

export interface ParseOptions {
  /** Check that the id matches the content (default true). Only trusted local replays skip it. */
  readonly verifyId?: boolean;
}

const encoder = new TextEncoder();

/**
 * Validates an unknown value as a wire-format delta and returns it frozen. Throws a RhizomeError
 * with code DELTA_INVALID, POINTER_INVALID, DELTA_TOO_LARGE or DELTA_ID_MISMATCH and the JSON
 * path of the first problem.
 */
export function parseDelta(input: unknown, options: ParseOptions = {}): Delta {
  return isVerifiedDelta(input) ? input : checkDelta(input, options).delta;
}

/** A validated delta and its JSON text. */
export interface ParsedDelta {
  readonly delta: Delta;
  /**
   * The delta as JSON: `id` first, then the canonical encoding of its content (the text its id
   * hashes), then `signature` when it has one. What a store writes, made from the encoding the
   * id check computes anyway, so that storing a delta does not serialise it a second time.
   */
  readonly json: string;
}

/**
 * `parseDelta`, also returning the delta's JSON text. A delta this package has already
 * validated, checked against its id and frozen (the builder's output, or what an earlier parse
 * returned) is returned as it is, without checking it again: nothing can have changed it.
 */
export function parseDeltaWithJson(input: unknown, options: ParseOptions = {}): ParsedDelta {
  if (isVerifiedDelta(input)) {
    // Validated, id-checked and frozen by this package before: only its encoding is needed.
    return { delta: input, json: deltaJson(input, encodeCanonicalContent(input)) };
  }
  const { delta, canonical } = checkDelta(input, options);
  return { delta, json: deltaJson(delta, canonical) };
}

/** Validates, checks the id (unless told not to) and freezes; also gives the canonical encoding. */
function checkDelta(input: unknown, options: ParseOptions): { delta: Delta; canonical: string } {
  const valid = validateDelta(input);
  const canonical = checkSize(valid);
  const verify = options.verifyId !== false;
  if (verify) {
    const expected = sha256Base64Url(canonical);
    if (expected !== valid.id) {
      throw new RhizomeError(
        CoreErrorCode.DeltaIdMismatch,
        `delta id ${valid.id} does not match its content (expected ${expected})`,
        { path: ['id'], details: { id: valid.id, expected } },
      );
    }
  }
  return { delta: verify ? freezeVerifiedDelta(valid) : freezeDelta(valid), canonical };
}

/** The JSON text of `delta`, given the canonical encoding of its content. */
function deltaJson(delta: Delta, canonical: string): string {
  // The id is base64url (checked by validation): it needs no escaping.
  const json = '{"id":"' + delta.id + '",' + canonical.slice(1);
  return delta.signature === undefined
    ? json
    : json.slice(0, -1) + ',"signature":' + JSON.stringify(delta.signature) + '}';
}

/** Parses JSON text (for example one NDJSON line or a request body) into a validated delta. */
export function parseDeltaJson(text: string, options: ParseOptions = {}): Delta {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new RhizomeError(CoreErrorCode.DeltaInvalid, 'delta is not valid JSON', { cause, path: [] });
  }
  return parseDelta(value, options);
}

/** Validates delta content (no id yet) and returns it frozen; used by the builder. */
export function parseDeltaContent(input: unknown): DeltaContent {
  let valid: DeltaContent;
  if (isValidDeltaContentShape(input)) {
    valid = input;
  } else {
    const result = deltaContentSchema.safeParse(input);
    if (!result.success) throw toValidationError(result.error);
    valid = result.data;
  }
  checkSize(valid);
  return freezeContent(valid);
}

// The fast path answers for valid input; zod is asked only when it says no, so zod alone words
// every error (and would still accept anything the fast path is too cautious about).
function validateDelta(input: unknown): Delta {
  if (isValidDeltaShape(input)) return input;
  const result = deltaSchema.safeParse(input);
  if (!result.success) throw toValidationError(result.error);
  return result.data;
}

function checkSize(content: DeltaContent): string {
  const canonical = encodeCanonicalContent(content);
  // Each UTF-16 unit is at most 3 UTF-8 bytes, so short encodings skip the byte count.
  if (canonical.length * 3 > DeltaLimits.maxEncodedBytes) {
    const bytes = encoder.encode(canonical).length;
    if (bytes > DeltaLimits.maxEncodedBytes) {
      throw new RhizomeError(
        CoreErrorCode.DeltaTooLarge,
        `delta encodes to ${bytes} bytes, over the limit of ${DeltaLimits.maxEncodedBytes}`,
        { path: [], details: { bytes, limit: DeltaLimits.maxEncodedBytes } },
      );
    }
  }
  return canonical;
}

function toValidationError(error: z.ZodError): RhizomeError {
  const issue = error.issues[0];
  let path: ErrorPath = (issue?.path ?? []).map((part) => (typeof part === 'number' ? part : String(part)));
  let detail = issue?.message ?? 'invalid delta';
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    // zod reports an extra key at its parent; the key itself is the more useful path.
    path = [...path, issue.keys[0]];
    detail = `unknown field "${issue.keys[0]}"`;
  } else if (issue?.code === 'invalid_union' && path[path.length - 1] === 'target') {
    detail = 'target must be a string, a finite number, a boolean, null or a reference { id }';
  }
  const code = path[0] === 'pointers' && path.length > 1 ? CoreErrorCode.PointerInvalid : CoreErrorCode.DeltaInvalid;
  const message = `${formatPath(path)}: ${detail}`;
  return new RhizomeError(code, message, {
    path,
    details: error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code })),
  });
}

function freezePointer(pointer: Pointer): Pointer {
  // `target === 0` also folds -0 into 0, as the canonical encoding does.
  const target =
    typeof pointer.target === 'object' && pointer.target !== null
      ? Object.freeze({ id: pointer.target.id })
      : pointer.target === 0
        ? 0
        : pointer.target;
  return Object.freeze(
    pointer.targetContext === undefined
      ? { localContext: pointer.localContext, target }
      : { localContext: pointer.localContext, target, targetContext: pointer.targetContext },
  );
}

function freezeContent(content: DeltaContent): DeltaContent {
  return Object.freeze({
    timeCreated: content.timeCreated === 0 ? 0 : content.timeCreated,
    host: content.host,
    creator: content.creator,
    pointers: Object.freeze(content.pointers.map(freezePointer)),
  });
}

/** Freezes a validated delta (copying it, so the caller's object stays theirs). */
export function freezeDelta(delta: Delta): Delta {
  return Object.freeze(copyDelta(delta));
}

/** freezeDelta for a delta whose id was just computed or checked: marked so (see verified.ts). */
export function freezeVerifiedDelta(delta: Delta): Delta {
  return Object.freeze(markVerified(copyDelta(delta)));
}

function copyDelta(delta: Delta): Delta {
  return {
    id: delta.id,
    ...freezeContent(delta),
    ...(delta.signature === undefined ? {} : { signature: delta.signature }),
  };
}
