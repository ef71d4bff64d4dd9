import type { Delta } from '@rhizome/core';
import { resolveCreatorKeys, signerOf, type DeltaFilter, type ReadOptions } from '@rhizome/views';
import { z } from 'zod';
import { ApiErrorCode, createApiError } from './errors.ts';

/** Creators a trust list names at most: each is a set lookup per delta, but the list travels in URLs. */
export const MAX_TRUSTED_CREATORS = 100;

/**
 * Whom a reader trusts: only deltas by these creators exist for the read, and/or (`signed`) only
 * deltas whose signature verifies by a currently valid key of their creator (`_creator:<id>`, see
 * `resolveCreatorKeys`) or by an admin key, which signs as anyone. Both given: both must hold.
 */
export type TrustJson = z.infer<typeof trustSchema>;

export const trustSchema = z.strictObject({
  creators: z
    .array(z.string().min(1).max(512))
    .min(1, 'name at least one creator')
    .max(MAX_TRUSTED_CREATORS, `at most ${MAX_TRUSTED_CREATORS} creators`)
    .optional(),
  signed: z.boolean().optional(),
});

/** Validates a trust setting from any transport: INVALID_REQUEST with the bad part's path. */
export function parseTrust(value: unknown): TrustJson {
  const result = trustSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = ['trust', ...(issue?.path.map(String) ?? [])];
  throw createApiError(
    ApiErrorCode.InvalidRequest,
    `invalid trust at ${path.join('.')}: ${issue?.message ?? 'malformed'}`,
    {
      path,
      details: {
        issues: result.error.issues.map((i) => ({
          path: ['trust', ...i.path.map(String)],
          message: i.message,
        })),
      },
    },
  );
}

export interface TrustContext {
  readonly adminKeys: ReadonlySet<string>;
  /** What the node holds of `_creator:<creator>` (always resident). */
  readonly creatorDeltas: (creator: string) => Iterable<Delta>;
}

/**
 * Whether a delta's signature verifies by a currently valid key of its creator, or an admin key.
 * One checker per read: a creator's keys are resolved once for the read, so every delta of the
 * read is judged against the same keys and the read is consistent with itself.
 */
export function createVerifiedCheck(context: TrustContext): (delta: Delta) => boolean {
  const keysByCreator = new Map<string, ReadonlySet<string>>();
  return (delta) => {
    const signer = signerOf(delta);
    if (signer === undefined) return false;
    if (context.adminKeys.has(signer)) return true;
    let keys = keysByCreator.get(delta.creator);
    if (keys === undefined) {
      keys = resolveCreatorKeys(delta.creator, context.creatorDeltas(delta.creator), {
        adminKeys: context.adminKeys,
      });
      keysByCreator.set(delta.creator, keys);
    }
    return keys.has(signer);
  };
}

/**
 * The views library's read options for `asOf` and `trust` (no filter without trust). The trust
 * setting is validated here, so an embedder calling the node directly is held to the same rules.
 */
export function readOptionsOf(
  read: { readonly asOf?: number | undefined; readonly trust?: TrustJson | undefined },
  context: TrustContext,
): ReadOptions {
  const options: { asOf?: number; filter?: DeltaFilter } = {};
  if (read.asOf !== undefined) options.asOf = read.asOf;
  const trust = read.trust === undefined ? undefined : parseTrust(read.trust);
  if (trust !== undefined && (trust.creators !== undefined || trust.signed === true)) {
    const filter: { creators?: readonly string[]; predicate?: (delta: Delta) => boolean } = {};
    if (trust.creators !== undefined) filter.creators = trust.creators;
    if (trust.signed === true) filter.predicate = createVerifiedCheck(context);
    options.filter = filter;
  }
  return options;
}
