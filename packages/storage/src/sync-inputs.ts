import { z } from 'zod';
import { StorageError, StorageErrorCode } from './errors.ts';
import { StorageLimits, type IdRangeQuery, type PeerCursor } from './types.ts';

/*
 * Checks for the inputs of the members sync uses (listIds, negationsOf, peer cursors, saved
 * peers), so that
 * every backend refuses the same values the same way. Text that PostgreSQL would store
 * differently from what it was given is refused: U+0000 (text cannot hold it) and lone
 * surrogates (the driver sends them as U+FFFD), so memory and SQL stores agree.
 */

const LONE_SURROGATE = /\p{Cs}/u;

const storableText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), 'must not contain U+0000')
    .refine((value) => !LONE_SURROGATE.test(value), 'must not contain a lone surrogate');

const peerSchema = storableText(StorageLimits.maxPeerNameLength).min(1);

const utf8 = new TextEncoder();

// No URL parsing here: what an address must look like is the API's business, not storage's.
const peerAddressSchema = storableText(StorageLimits.maxPeerAddressLength)
  .min(1)
  .refine(
    (value) => utf8.encode(value).byteLength <= StorageLimits.maxPeerAddressLength,
    `must be at most ${StorageLimits.maxPeerAddressLength} bytes of UTF-8`,
  );

const peerCursorSchema = z.strictObject({
  feedId: storableText(StorageLimits.maxCursorTextLength).min(1),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  filter: storableText(StorageLimits.maxCursorTextLength).optional(),
});

const idRangeSchema = z
  .strictObject({
    lower: storableText(StorageLimits.maxCursorTextLength).optional(),
    upper: storableText(StorageLimits.maxCursorTextLength).optional(),
    limit: z.number().int().min(1).max(StorageLimits.maxPageSize).optional(),
  })
  .optional();

const idListSchema = z
  .array(z.string().refine((id) => !id.includes('\u0000'), 'must not contain U+0000'))
  .max(StorageLimits.maxIdsPerCall);

function invalid(what: string, error: z.ZodError): StorageError {
  const issue = error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
  return new StorageError(
    StorageErrorCode.InvalidInput,
    `${what}${where}: ${issue?.message ?? 'invalid'}`,
    { cause: error, path: issue?.path.filter((key) => typeof key !== 'symbol') ?? [] },
  );
}

/** A peer name as stored: 1 to `maxPeerNameLength` characters. */
export function checkPeerName(peer: unknown): string {
  const result = peerSchema.safeParse(peer);
  if (!result.success) throw invalid('peer name', result.error);
  return result.data;
}

/** A saved peer address as stored: 1 to `maxPeerAddressLength` characters (and UTF-8 bytes). */
export function checkPeerAddress(address: unknown): string {
  const result = peerAddressSchema.safeParse(address);
  if (!result.success) throw invalid('peer address', result.error);
  return result.data;
}

/** A cursor as stored, with no field beyond the three known ones. */
export function parsePeerCursor(cursor: unknown): PeerCursor {
  const result = peerCursorSchema.safeParse(cursor);
  if (!result.success) throw invalid('peer cursor', result.error);
  const { feedId, seq, filter } = result.data;
  return Object.freeze(filter === undefined ? { feedId, seq } : { feedId, seq, filter });
}

/** A listIds query with its page size resolved. */
export function resolveIdRange(query: unknown): {
  lower?: string;
  upper?: string;
  limit: number;
} {
  const result = idRangeSchema.safeParse(query);
  if (!result.success) throw invalid('listIds query', result.error);
  const range: IdRangeQuery = result.data ?? {};
  return { ...range, limit: range.limit ?? StorageLimits.defaultPageSize };
}

/** The ids of a negationsOf call. */
export function checkIdList(ids: unknown, what: string): readonly string[] {
  const result = idListSchema.safeParse(ids);
  if (!result.success) throw invalid(`${what} ids`, result.error);
  return result.data;
}
