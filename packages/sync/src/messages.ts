import { z } from 'zod';
import type { EncodedBatch } from './codec.ts';
import { deltaFilterSchema } from './filter.ts';
import { createSyncError, SyncErrorCode } from './errors.ts';
import { countUtf8Bytes } from './utf8.ts';

/**
 * The protocol version this implementation speaks. Peers must agree exactly. Version 2 added lazy
 * push (`hello.features`, `batch.h`); a version-1 peer is refused with a typed error.
 */
export const PROTOCOL_VERSION = 2;

/** Optional behaviours a node can take part in, listed in its hello; unknown ones are ignored. */
export const Feature = {
  /** This node accepts relayed deltas announced by id (`batch.h`) and asks for the ones it lacks. */
  LazyPush: 'lazy-push',
} as const;

const name = z.string().min(1).max(512);
/** A full delta id: base64url SHA-256. */
const deltaIdSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const seq = z.number().int().min(0);
/** Every frame is numbered per direction from 1, so duplicates and gaps are visible. */
const frame = { n: z.number().int().min(1) };

export const helloSchema = z.strictObject({
  ...frame,
  t: z.literal('hello'),
  protocol: z.number().int().min(0),
  node: name,
  /** This node's changes feed: its identity (new when sequence numbers restart) and head. */
  feed: z.strictObject({ id: name, head: seq }),
  /** A fresh random challenge; a peer that shares a secret with this node answers it with `auth`. */
  nonce: z.string().min(16).max(64),
  /** The sender wants only deltas matching this, plus negations of those, transitively. */
  filter: deltaFilterSchema.optional(),
  /** Optional behaviours the sender takes part in (see `Feature`); unknown names are ignored. */
  features: z.array(z.string().min(1).max(64)).max(32).optional(),
});

/** Proof of the shared secret: HMAC-SHA256(secret, "rhizome-sync-v1\0" + peer's nonce + "\0" + own node id). */
export const authSchema = z.strictObject({ ...frame, t: z.literal('auth'), proof: z.string().min(1).max(128) });

export const errorSchema = z.strictObject({
  ...frame,
  t: z.literal('error'),
  code: z.string().min(1).max(128),
  message: z.string().max(4096),
  /** The sender closes the link after a fatal error. */
  fatal: z.boolean(),
  details: z.unknown().optional(),
});

/** Grants the receiver of this message permission to send `grant` more batches. */
export const creditSchema = z.strictObject({ ...frame, t: z.literal('credit'), grant: z.number().int().min(1).max(1024) });

/**
 * The pull request for the sender's changes feed. `from` is the cursor (stream every entry after
 * it); without `from` the sender of this message has no usable cursor and needs reconciliation
 * first, after which it sends another subscribe with `from`.
 */
export const subscribeSchema = z.strictObject({ ...frame, t: z.literal('subscribe'), from: seq.optional() });

/**
 * Deltas. With `seq`, the batch is the feed up to and including `seq` (entries the receiver
 * already holds are left out); without it, the deltas answer a want or a reconciliation.
 */
export const batchSchema = z.strictObject({
  ...frame,
  t: z.literal('batch'),
  seq: seq.optional(),
  /** The sender's feed head when it sent the batch, so the receiver can tell how far behind it is. */
  head: seq.optional(),
  // Checked by decodeBatch, which validates every row anyway; checking here too doubled the cost.
  d: z.custom<EncodedBatch>((value) => typeof value === 'object' && value !== null),
  /**
   * Lazy push: ids of feed entries in this batch's range that are sent by id only (deltas the
   * sender relayed from a third node). The receiver asks with `want` for the ones it lacks.
   */
  h: z.array(deltaIdSchema).max(8192).optional(),
});

/**
 * Requests deltas by id, or by id prefix of ID_PREFIX_LENGTH characters (what reconciliation
 * learns); the sender of the deltas resolves prefixes against its store.
 */
export const wantSchema = z.strictObject({
  ...frame,
  t: z.literal('want'),
  ids: z.array(z.string().regex(/^[A-Za-z0-9_-]{12,43}$/)).min(1).max(1024),
});

const bound = z.string().max(64).nullable();

/**
 * One range of the id space, as a tuple: from the previous range's upper bound (the first starts
 * at '') up to `upper`, exclusive (null: to the end).
 *
 * - `[upper]`: nothing more to do in the range.
 * - `[upper, count, fingerprint]`: the sender's count and fingerprint of its ids in the range.
 * - `[upper, prefixes]`: the sender's complete list of ids in the range, as id prefixes.
 */
export const rangeSchema = z.union([
  z.tuple([bound]),
  z.tuple([bound, z.number().int().min(0), z.string().max(64)]),
  z.tuple([bound, z.array(z.string().max(64)).max(4096)]),
]);

/** A round of set reconciliation. An empty `ranges` ends the conversation. */
export const reconcileSchema = z.strictObject({
  ...frame,
  t: z.literal('reconcile'),
  ranges: z.array(rangeSchema).max(65_536),
});

export const pingSchema = z.strictObject({ ...frame, t: z.literal('ping'), nonce: z.number().int() });
export const pongSchema = z.strictObject({ ...frame, t: z.literal('pong'), nonce: z.number().int() });

/** Peer exchange: addresses the sender can be reached at or knows of. */
export const peersSchema = z.strictObject({
  ...frame,
  t: z.literal('peers'),
  addresses: z.array(z.string().min(1).max(512)).max(64),
});

export const messageSchema = z.discriminatedUnion('t', [
  helloSchema,
  authSchema,
  errorSchema,
  creditSchema,
  subscribeSchema,
  batchSchema,
  wantSchema,
  reconcileSchema,
  pingSchema,
  pongSchema,
  peersSchema,
]);

export type Message = z.infer<typeof messageSchema>;
export type MessageType = Message['t'];
export type Hello = z.infer<typeof helloSchema>;
export type Range = z.infer<typeof rangeSchema>;
/** A message before the session numbers it. */
export type OutboundMessage = Message extends infer M ? (M extends Message ? Omit<M, 'n'> : never) : never;

/** Frames are JSON text, one message per frame. */
export function encodeFrame(message: Message): string {
  return JSON.stringify(message);
}

/** Parses and validates one frame. Throws SYNC_FRAME_TOO_LARGE or SYNC_FRAME_INVALID. */
export function decodeFrame(frame: string, maxFrameBytes: number): Message {
  // A UTF-16 unit is at most 3 bytes, so most frames skip the exact count.
  if (frame.length * 3 > maxFrameBytes && countUtf8Bytes(frame) > maxFrameBytes) {
    throw createSyncError(SyncErrorCode.FrameTooLarge, `frame of ${countUtf8Bytes(frame)} bytes is over the limit of ${maxFrameBytes}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch (cause) {
    throw createSyncError(SyncErrorCode.FrameInvalid, 'frame is not JSON', { cause });
  }
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    // The frame number, when readable, lets the receiver count the bad frame as consumed.
    const n = (value as { n?: unknown } | null)?.n;
    throw createSyncError(SyncErrorCode.FrameInvalid, `invalid message: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), {
      cause: result.error,
      details: { n: Number.isSafeInteger(n) ? n : undefined },
    });
  }
  return result.data;
}
