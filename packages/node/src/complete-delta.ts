import {
  CoreErrorCode,
  createDeltaWithJson,
  isRhizomeError,
  parseDeltaWithJson,
  RhizomeError,
  type Clock,
  type DeltaContent,
  type ParsedDelta,
} from '@rhizome/core';
import { ApiErrorCode, createApiError } from './errors.ts';
import { hasScope, type Principal } from './principal.ts';

export interface CompleteDeltaOptions {
  readonly principal: Principal;
  readonly host: string;
  readonly clock: Clock;
}

/**
 * Turns what a client sent into a valid delta. `timeCreated` and `host` are filled in when left
 * out and `id` is computed when left out; `creator` defaults to the caller's and, unless the node
 * runs open or the caller is an admin, must be the caller's. Errors carry the batch index in `path` when `index` is given.
 * Returns the delta with its JSON text, which the store writes as it is (the content is encoded
 * once, for the id).
 */
export function completeDelta(
  input: unknown,
  index: number | undefined,
  options: CompleteDeltaOptions,
): ParsedDelta {
  const at = (path: readonly (string | number)[]) =>
    index === undefined ? [...path] : [index, ...path];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RhizomeError(CoreErrorCode.DeltaInvalid, `${label(index)} must be a JSON object`, {
      path: at([]),
    });
  }
  const { principal } = options;
  const given = input as Record<string, unknown>;
  // An admin writes as anyone: restoring a backup keeps each delta's original creator.
  if (
    given.creator !== undefined &&
    given.creator !== principal.creator &&
    !principal.open &&
    !hasScope(principal, 'admin')
  ) {
    throw createApiError(
      ApiErrorCode.CreatorMismatch,
      `this token writes as "${principal.creator}" and cannot write as ${JSON.stringify(given.creator)}`,
      { path: at(['creator']), details: { creator: given.creator, allowed: principal.creator } },
    );
  }
  const filled: Record<string, unknown> = {
    ...given,
    creator: given.creator ?? principal.creator,
    host: given.host ?? options.host,
    timeCreated: given.timeCreated ?? options.clock.now(),
  };
  try {
    let parsed: ParsedDelta;
    if (filled.id === undefined) {
      // `signature` is not content (the id does not cover it): kept as sent, its shape checked.
      const { id: _id, signature, ...content } = filled;
      parsed = createDeltaWithJson(content as unknown as DeltaContent, signature);
    } else {
      parsed = parseDeltaWithJson(filled);
    }
    // A timestamp from the client moves the node's clock, so later server-stamped deltas sort after it.
    if (given.timeCreated !== undefined) options.clock.observe(parsed.delta.timeCreated);
    return parsed;
  } catch (error) {
    if (!isRhizomeError(error)) throw error;
    throw new RhizomeError(error.code, `${label(index)}: ${error.message}`, {
      cause: error,
      path: at(error.path ?? []),
      ...(error.details === undefined ? {} : { details: error.details }),
    });
  }
}

function label(index: number | undefined): string {
  return index === undefined ? 'the delta' : `delta ${index}`;
}
