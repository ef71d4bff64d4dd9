import { createDelta, isReference, isRhizomeError, parseDelta, type Delta, type DeltaContent, type Pointer, type Primitive } from '@rhizome/core';
import { z } from 'zod';
import { createSyncError, SyncErrorCode } from './errors.ts';
import { countUtf8Bytes } from './utf8.ts';

/**
 * The compact encoding of a delta batch (unchanged since protocol version 1).
 *
 * - `s` is a per-batch string table: hosts, creators, contexts and referenced entity ids repeat a
 *   lot within a batch, so each is sent once and rows refer to it by index.
 * - `b` is a base timestamp and every row stores `timeCreated - b`, which is short when a batch
 *   holds deltas made close together.
 * - Ids are not sent at all: an id is the hash of the content, so the receiver recomputes it. That
 *   saves the largest incompressible field and makes the content-id check hold by construction.
 *
 * Row: `[dt, host, creator, pointers, signature?]`; pointer: `[localContext, target]` or, for a
 * reference, `[localContext, [entity]]` / `[localContext, [entity, targetContext]]`, all names as
 * table indices. Primitive targets are inline JSON values.
 */
const index = z.number().int().min(0);
const encodedTargetSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.tuple([index]),
  z.tuple([index, index]),
]);
const encodedPointerSchema = z.tuple([index, encodedTargetSchema]);
const encodedRowSchema = z.union([
  z.tuple([z.number().int(), index, index, z.array(encodedPointerSchema)]),
  z.tuple([z.number().int(), index, index, z.array(encodedPointerSchema), z.string()]),
]);

export const encodedBatchSchema = z.strictObject({
  b: z.number().int(),
  s: z.array(z.string()),
  r: z.array(encodedRowSchema),
});

export type EncodedBatch = z.infer<typeof encodedBatchSchema>;
export type EncodedRow = EncodedBatch['r'][number];
export type EncodedPointer = EncodedRow[3][number];
export type EncodedTarget = EncodedPointer[1];

export interface BatchEncoder {
  /**
   * Adds a delta if the batch stays within the byte budget. The first delta is always taken, so a
   * single delta at the size limit still travels.
   */
  add(delta: Delta): boolean;
  /**
   * Adds all of `deltas` or none of them (a delta together with what must travel with it). Like
   * `add`, an empty batch takes the group whatever its size.
   */
  addAll(deltas: readonly Delta[]): boolean;
  /** Deltas added so far. */
  readonly count: number;
  /** Approximate UTF-8 size of the encoded batch so far (exact up to JSON punctuation). */
  readonly bytes: number;
  finish(): EncodedBatch;
  /** The batch as JSON text, equal to `JSON.stringify(finish())`, reusing the rows' text. */
  finishText(): string;
}

export interface BatchEncoderOptions {
  /** Byte budget of the encoded batch. */
  readonly maxBytes: number;
  /** Maximum number of deltas. */
  readonly maxDeltas?: number;
}

// Braces, keys and brackets of the batch object around rows and table.
const BATCH_OVERHEAD = 24;

export function createBatchEncoder(options: BatchEncoderOptions): BatchEncoder {
  const table: string[] = [];
  const positions = new Map<string, number>();
  const rows: EncodedRow[] = [];
  const rowTexts: string[] = [];
  let base: number | undefined;
  let bytes = BATCH_OVERHEAD;
  const maxDeltas = options.maxDeltas ?? Number.POSITIVE_INFINITY;

  const addRow = (delta: Delta, force: boolean): boolean => {
    if (!force && rows.length >= maxDeltas) return false;
    const added: string[] = [];
    let addedBytes = 0;
    const intern = (value: string): number => {
      const existing = positions.get(value);
      if (existing !== undefined) return existing;
      const position = table.length;
      table.push(value);
      positions.set(value, position);
      added.push(value);
      addedBytes += countUtf8Bytes(JSON.stringify(value)) + 1;
      return position;
    };
    const time = base ?? delta.timeCreated;
    const row = encodeRow(delta, time, intern);
    const rowText = JSON.stringify(row);
    const rowBytes = countUtf8Bytes(rowText) + 1;
    if (!force && rows.length > 0 && bytes + rowBytes + addedBytes > options.maxBytes) {
      // Undo the table entries this row introduced so the batch stays exactly as it was.
      for (let i = added.length - 1; i >= 0; i--) positions.delete(table.pop()!);
      return false;
    }
    base = time;
    rows.push(row);
    rowTexts.push(rowText);
    bytes += rowBytes + addedBytes;
    return true;
  };

  return {
    add(delta) {
      return addRow(delta, false);
    },
    addAll(group) {
      if (group.length === 0) return true;
      if (rows.length + group.length > maxDeltas && rows.length > 0) return false;
      const saved = { table: table.length, rows: rows.length, bytes, base };
      const wasEmpty = rows.length === 0;
      // The budget is checked for the group as a whole, so each row goes in unconditionally first.
      for (const delta of group) addRow(delta, true);
      if (wasEmpty || bytes <= options.maxBytes) return true;
      for (const value of table.splice(saved.table)) positions.delete(value);
      rows.length = saved.rows;
      rowTexts.length = saved.rows;
      bytes = saved.bytes;
      base = saved.base;
      return false;
    },
    get count() {
      return rows.length;
    },
    get bytes() {
      return bytes;
    },
    finish() {
      return { b: base ?? 0, s: table.slice(), r: rows.slice() };
    },
    finishText() {
      return `{"b":${base ?? 0},"s":${JSON.stringify(table)},"r":[${rowTexts.join(',')}]}`;
    },
  };
}

function encodeRow(delta: Delta, base: number, intern: (value: string) => number): EncodedRow {
  const pointers = delta.pointers.map((pointer): EncodedPointer => [intern(pointer.localContext), encodeTarget(pointer, intern)]);
  const dt = delta.timeCreated - base;
  return delta.signature === undefined
    ? [dt, intern(delta.host), intern(delta.creator), pointers]
    : [dt, intern(delta.host), intern(delta.creator), pointers, delta.signature];
}

function encodeTarget(pointer: Pointer, intern: (value: string) => number): EncodedTarget {
  const target = pointer.target;
  if (!isReference(target)) return target;
  return pointer.targetContext === undefined ? [intern(target.id)] : [intern(target.id), intern(pointer.targetContext)];
}

/** Encodes all of `deltas` into one batch, ignoring size limits (tests and tools). */
export function encodeBatch(deltas: readonly Delta[]): EncodedBatch {
  const encoder = createBatchEncoder({ maxBytes: Number.POSITIVE_INFINITY });
  for (const delta of deltas) encoder.add(delta);
  return encoder.finish();
}

/**
 * Decodes and fully validates a batch: every delta goes through core's content schema and limits,
 * and gets its id from its content. Throws SYNC_BATCH_INVALID for a malformed batch, or
 * SYNC_BATCH_REJECTED (core's code in `details.code`, the row in `path`) for an invalid delta. All
 * or nothing: either every delta is returned or the call throws.
 */
export function decodeBatch(input: unknown): Delta[] {
  const { b: base, s: table, r: rows } = readEncodedBatch(input);
  const name = (position: number, row: number): string => {
    const value = table[position];
    if (value === undefined) {
      throw createSyncError(SyncErrorCode.BatchInvalid, `row ${row} refers to string ${position}, past the table`, {
        path: ['r', row],
      });
    }
    return value;
  };
  const deltas: Delta[] = [];
  for (let i = 0; i < rows.length; i++) {
    const [dt, host, creator, encodedPointers, signature] = rows[i]!;
    const pointers = encodedPointers.map(([localContext, target]): Pointer => {
      if (!Array.isArray(target)) return { localContext: name(localContext, i), target: target as Primitive };
      const [entity, targetContext] = target;
      const reference = { id: name(entity, i) };
      return targetContext === undefined
        ? { localContext: name(localContext, i), target: reference }
        : { localContext: name(localContext, i), target: reference, targetContext: name(targetContext, i) };
    });
    const content: DeltaContent = { timeCreated: base + dt, host: name(host, i), creator: name(creator, i), pointers };
    deltas.push(decodeDelta(content, signature, i));
  }
  return deltas;
}

/**
 * Checks the shape of a batch (exactly what `encodedBatchSchema` accepts) by hand: it runs on
 * every row received, and the schema took as long as validating the deltas themselves.
 */
export function readEncodedBatch(input: unknown): EncodedBatch {
  const invalid = (message: string): never => {
    throw createSyncError(SyncErrorCode.BatchInvalid, `malformed batch: ${message}`);
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return invalid('not an object');
  const batch = input as Record<string, unknown>;
  for (const key of Object.keys(batch)) if (key !== 'b' && key !== 's' && key !== 'r') invalid(`unknown field "${key}"`);
  const { b, s, r } = batch;
  if (!Number.isSafeInteger(b)) invalid('b is not an integer');
  if (!Array.isArray(s) || !s.every((entry) => typeof entry === 'string')) invalid('s is not a list of strings');
  if (!Array.isArray(r)) return invalid('r is not a list');
  for (let i = 0; i < r.length; i++) {
    const row: unknown = r[i];
    if (!Array.isArray(row) || (row.length !== 4 && row.length !== 5)) return invalid(`row ${i} is not a row`);
    const [dt, host, creator, pointers, signature] = row as unknown[];
    if (!Number.isSafeInteger(dt) || !isIndex(host) || !isIndex(creator)) invalid(`row ${i} has a bad header`);
    if (row.length === 5 && typeof signature !== 'string') invalid(`row ${i} has a bad signature`);
    if (!Array.isArray(pointers) || !pointers.every(isEncodedPointer)) invalid(`row ${i} has a bad pointer`);
  }
  return batch as EncodedBatch;
}

function isIndex(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isEncodedPointer(value: unknown): boolean {
  if (!Array.isArray(value) || value.length !== 2 || !isIndex(value[0])) return false;
  const target: unknown = value[1];
  if (Array.isArray(target)) return (target.length === 1 || target.length === 2) && target.every(isIndex);
  return target === null || typeof target === 'string' || typeof target === 'boolean' || (typeof target === 'number' && Number.isFinite(target));
}

function decodeDelta(content: DeltaContent, signature: string | undefined, row: number): Delta {
  try {
    const delta = createDelta(content);
    // The signature is outside the hashed content; parseDelta checks its shape only.
    return signature === undefined ? delta : parseDelta({ ...delta, signature }, { verifyId: false });
  } catch (error) {
    const code = isRhizomeError(error) ? error.code : 'UNKNOWN';
    const path = isRhizomeError(error) ? error.path : undefined;
    throw createSyncError(SyncErrorCode.BatchRejected, `row ${row}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      path: ['r', row, ...(path ?? [])],
      details: { row, code },
    });
  }
}
