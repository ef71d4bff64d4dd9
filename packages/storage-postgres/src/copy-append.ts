import { Vocabulary, type Delta } from '@rhizome/core';
import {
  DELTAS_TABLE as D,
  ENTITIES_TABLE as E,
  POINTERS_TABLE as P,
  TOTALS_TABLE as T,
} from './schema.ts';
import type { SqlQueryable } from './sql-client.ts';

/*
 * The append on a PostgreSQL server: the batch goes in by `COPY … FROM STDIN` (text format)
 * straight into the store's tables, inside the append transaction and under its lock. COPY
 * loads rows in bulk (rows buffered and written to a heap page together, no per-row executor
 * node), where `INSERT … SELECT … ON CONFLICT DO NOTHING` pays per row a speculative insertion
 * (its own WAL record) and the parsing of the JSON parameters; see docs/benchmarks.md for the
 * measured difference.
 *
 * COPY cannot skip rows that exist: see appendByCopy for how the append finds the stored ones
 * (nothing else can insert them meanwhile: every append takes the same lock). Sequence numbers
 * are handed out under the lock too, as a block (`setval`), and COPY writes them into the
 * identity column (COPY FROM stores the values it is given, like OVERRIDING SYSTEM VALUE), so
 * the pointer rows know their delta's seq without a round trip per row.
 *
 * Everything costly in Node (encoding, escaping) happens in `encodeCopyBatch`, before the lock
 * is taken. Only the sequence numbers are unknown until then: `deltaRows`/`pointerRows` write
 * them into the prepared rows.
 */
export interface CopyBatch {
  readonly deltas: readonly Delta[];
  /**
   * COPY text (UTF-8) of every delta row, `COPY_DELTAS_COLUMNS`, in id order (see
   * `deltaRows`), each seq still the placeholder `SEQ_PLACEHOLDER`.
   */
  readonly deltaRows: Buffer;
  /** Per batch position: where its row starts in deltaRows, and where it ends. */
  readonly deltaRowStart: readonly number[];
  readonly deltaRowEnd: readonly number[];
  /** COPY text of the pointer rows, `COPY_POINTERS_COLUMNS`, in batch order, seq placeholders. */
  readonly pointerRows: Buffer;
  /**
   * Where each pointer row starts; the rows of delta i are pointerRowStart[pointerStart[i]] up
   * to pointerRowStart[pointerStart[i + 1]] (one more entry at the end: the length).
   */
  readonly pointerRowStart: readonly number[];
  readonly pointerStart: readonly number[];
  /** The well-formed ids of the entities pointed at (negation targets excluded), by delta. */
  readonly entityIds: readonly string[];
  readonly entityStart: readonly number[];
}

export const COPY_DELTAS_COLUMNS = 'id, seq, body';
export const COPY_POINTERS_COLUMNS =
  'delta_seq, target_id, target_context, time_created, position, local_context';

// COPY text format: backslash starts an escape, tab separates columns, newline ends a row, and a
// carriage return would be read as one. Nothing else needs escaping; NUL never gets this far
// (validateBatch refuses it).
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

// In unicode mode a surrogate pair is one astral code point, so \p{Cs} matches lone surrogates only.
const HAS_LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;
const NEEDS_WORK = /[\\\t\n\r\p{Cs}]/u;

/**
 * String.prototype.toWellFormed (ES2024, beyond this package's lib target): a lone surrogate
 * becomes U+FFFD, as the drivers' UTF-8 encoding turns it into for every other parameter (so a
 * pointer row holds the same string a hyperview's entity id arrives as).
 */
export function wellFormed(value: string): string {
  return HAS_LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATES, '\uFFFD') : value;
}

/** A text value as one COPY text-format field. */
export function copyField(value: string): string {
  return COPY_SPECIAL.test(value)
    ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c]!)
    : value;
}

/** A name as a COPY field, made well-formed first; one regex test for the usual plain name. */
function nameField(value: string): string {
  return NEEDS_WORK.test(value) ? copyField(wellFormed(value)) : value;
}

/**
 * Inputs handled between two turns of the event loop by the append's Node work (validation,
 * encoding). 10,000 deltas take tens of ms of it; done in one go, it held up the replies of the
 * append being written meanwhile, so the server waited for Node instead of working alongside.
 * A slice of 1,000 still did (300k-delta ingest: 38k deltas/s, against 48–51k with 100).
 */
export const NODE_SLICE = 100;

/** Resolves after pending I/O callbacks had their turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Width of a seq in the prepared rows: 19 digits hold any safe integer, and PostgreSQL reads
 * the leading zeros of a bigint as nothing.
 */
const SEQ_WIDTH = 19;
const SEQ_PLACEHOLDER = '0'.repeat(SEQ_WIDTH);
// A delta row is `id\tseq\tbody\n` and ids are 43 ASCII characters: its seq is at byte 44.
const DELTA_SEQ_OFFSET = 44;

/** Writes `seq` over the SEQ_WIDTH digits at `offset`. */
function writeSeq(buffer: Buffer, offset: number, seq: number): void {
  let rest = seq;
  for (let i = offset + SEQ_WIDTH - 1; i >= offset; i--) {
    buffer[i] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
}

/**
 * Encodes a batch for COPY, yielding to the event loop every NODE_SLICE deltas. `json` holds
 * each delta's JSON text (validation made it: see core's parseDeltaWithJson).
 *
 * The rows are written into two Buffers here, before the append lock, with a placeholder for
 * each seq; under the lock the append only writes the numbers in. So nothing but that runs in
 * Node while the server waits, and a batch waiting for its turn is held outside V8's heap
 * (long-lived strings there are what young-generation collections copy and promote).
 */
export async function encodeCopyBatch(
  batch: readonly Delta[],
  json: readonly string[],
): Promise<CopyBatch> {
  const ids: string[] = [];
  const bodies: string[] = [];
  const pointerTails: string[] = [];
  const pointerStart: number[] = [];
  const entityIds: string[] = [];
  const entityStart: number[] = [];
  let deltaBytes = 0;
  let pointerBytes = 0;
  for (let index = 0; index < batch.length; index++) {
    if (index > 0 && index % NODE_SLICE === 0) await nextTurn();
    const delta = batch[index]!;
    ids.push(delta.id);
    // JSON escapes every control character, so of COPY's specials only backslash can occur in
    // a body.
    const text = json[index]!;
    const body = text.includes('\\') ? text.replaceAll('\\', '\\\\') : text;
    bodies.push(body);
    deltaBytes += DELTA_SEQ_OFFSET + SEQ_WIDTH + 2 + Buffer.byteLength(body);
    pointerStart.push(pointerTails.length);
    entityStart.push(entityIds.length);
    // The rows listReferencePointers describes, written straight from the pointers.
    const pointers = delta.pointers;
    for (let position = 0; position < pointers.length; position++) {
      const pointer = pointers[position]!;
      const target = pointer.target;
      if (typeof target !== 'object' || target === null) continue;
      const context =
        pointer.targetContext === undefined ? '\\N' : nameField(pointer.targetContext);
      const tail = `\t${nameField(target.id)}\t${context}\t${delta.timeCreated}\t${position}\t${nameField(pointer.localContext)}\n`;
      pointerTails.push(tail);
      pointerBytes += SEQ_WIDTH + Buffer.byteLength(tail);
      if (pointer.localContext !== Vocabulary.negates) entityIds.push(wellFormed(target.id));
    }
  }
  pointerStart.push(pointerTails.length);
  entityStart.push(entityIds.length);
  await nextTurn();

  // Delta rows in id order: the primary key then takes the batch's keys in ascending order, one
  // pass along its leaves, instead of at random (measured: 2.7 instead of 4.2–5.4 µs of server
  // CPU per delta for the index at 1M deltas, see docs/benchmarks.md). The numbering, and so
  // the changes feed, keeps the batch order.
  const byId = batch.map((_, index) => index);
  byId.sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1));
  const deltaRows = Buffer.allocUnsafe(deltaBytes);
  const deltaRowStart = new Array<number>(batch.length);
  const deltaRowEnd = new Array<number>(batch.length);
  let at = 0;
  for (const index of byId) {
    deltaRowStart[index] = at;
    at += deltaRows.write(ids[index]!, at, 'latin1');
    at += deltaRows.write(`\t${SEQ_PLACEHOLDER}\t`, at, 'latin1');
    at += deltaRows.write(bodies[index]!, at, 'utf8');
    deltaRows[at++] = 10; // \n
    deltaRowEnd[index] = at;
  }
  const pointerRows = Buffer.allocUnsafe(pointerBytes);
  const pointerRowStart = new Array<number>(pointerTails.length + 1);
  at = 0;
  pointerTails.forEach((tail, p) => {
    pointerRowStart[p] = at;
    at += pointerRows.write(SEQ_PLACEHOLDER, at, 'latin1');
    at += pointerRows.write(tail, at, 'utf8');
  });
  pointerRowStart[pointerTails.length] = at;
  return {
    deltas: batch,
    deltaRows,
    deltaRowStart,
    deltaRowEnd,
    pointerRows,
    pointerRowStart,
    pointerStart,
    entityIds,
    entityStart,
  };
}

/**
 * The COPY data of the delta rows at `indexes`, numbered from `firstSeq` in that order. This
 * runs under the append lock: for a whole batch it writes the numbers into the prepared rows;
 * for part of one (some deltas were stored already) it copies those rows out first.
 */
export function deltaRows(batch: CopyBatch, indexes: readonly number[], firstSeq: number): Buffer {
  let rows = batch.deltaRows;
  let start = batch.deltaRowStart;
  if (indexes.length < batch.deltas.length) {
    const parts: Buffer[] = [];
    const moved = new Array<number>(batch.deltas.length);
    let at = 0;
    // In id order, as the batch's rows are.
    const inOrder = [...indexes].sort((a, b) => batch.deltaRowStart[a]! - batch.deltaRowStart[b]!);
    for (const index of inOrder) {
      const part = rows.subarray(batch.deltaRowStart[index], batch.deltaRowEnd[index]);
      moved[index] = at;
      at += part.length;
      parts.push(part);
    }
    rows = Buffer.concat(parts, at);
    start = moved;
  }
  indexes.forEach((index, k) => writeSeq(rows, start[index]! + DELTA_SEQ_OFFSET, firstSeq + k));
  return rows;
}

/** The COPY data of the pointer rows of the deltas at `indexes`, numbered as in `deltaRows`. */
export function pointerRows(
  batch: CopyBatch,
  indexes: readonly number[],
  firstSeq: number,
): Buffer {
  const { pointerRowStart, pointerStart } = batch;
  const parts: Buffer[] = [];
  const whole = indexes.length === batch.deltas.length;
  indexes.forEach((index, k) => {
    const first = pointerStart[index]!;
    const end = pointerStart[index + 1]!;
    for (let p = first; p < end; p++)
      writeSeq(batch.pointerRows, pointerRowStart[p]!, firstSeq + k);
    if (!whole && end > first)
      parts.push(batch.pointerRows.subarray(pointerRowStart[first], pointerRowStart[end]));
  });
  return whole ? batch.pointerRows : Buffer.concat(parts);
}

/**
 * Entity ids known to be in rhizome_entities: ids are added after the append that listed them
 * committed, and the table only grows, so a known id needs no probe. Bounded: when full it
 * starts over (a miss only costs the probe the append made before this existed).
 */
export class KnownEntities {
  readonly #ids = new Set<string>();
  constructor(readonly limit: number) {}
  has(id: string): boolean {
    return this.#ids.has(id);
  }
  /** After the append that wrote `batch` committed: every entity it points at is listed. */
  addBatch(batch: CopyBatch): void {
    for (const id of batch.entityIds) {
      if (this.#ids.size >= this.limit) this.#ids.clear();
      this.#ids.add(id);
    }
  }
}

/**
 * The distinct entity ids the deltas at `indexes` point at, as a JSON array, leaving out those
 * `known` to be listed already.
 */
export function entityIdsJson(
  batch: CopyBatch,
  indexes: readonly number[],
  known?: KnownEntities,
): string {
  const ids = new Set<string>();
  for (const index of indexes) {
    const end = batch.entityStart[index + 1]!;
    for (let e = batch.entityStart[index]!; e < end; e++) {
      const id = batch.entityIds[e]!;
      if (known === undefined || !known.has(id)) ids.add(id);
    }
  }
  return JSON.stringify([...ids]);
}

// The arrays the statements take travel as one text: ids joined by newlines (base64url ids have
// none), entity ids as a JSON array (they may hold any character but NUL).
//
// Probes go through LATERAL (… LIMIT 1): the planner cannot turn that into a join, so each id is
// one descent of the primary key. Written as `id = ANY(…)`, a custom plan sees 10,000 constants
// and chose a parallel sequential scan of the whole table instead (measured: ~200 ms a batch at
// 300k deltas).
const EXISTING_SQL = `
SELECT x.id FROM unnest(string_to_array($1::text, E'\\n')) AS i(id),
LATERAL (SELECT d.id FROM ${D} d WHERE d.id = i.id COLLATE "C" LIMIT 1) x`;

/** A block of $1 sequence numbers (nextval for the first, setval to the last), and now(). */
const RESERVE_SQL = `
SELECT setval(pg_get_serial_sequence('${D}', 'seq'),
              nextval(pg_get_serial_sequence('${D}', 'seq')) + $1::bigint - 1)::text AS last_seq,
       floor(extract(epoch FROM now()) * 1000)::float8 AS received_ms`;

/*
 * The bookkeeping of one append: the entity ids not listed yet join rhizome_entities (a read
 * probe first, which is cheaper than letting ON CONFLICT find that most exist) and the totals
 * row moves on.
 */
const TOTALS_SQL = `
WITH new_entities AS (
  INSERT INTO ${E} (id)
  SELECT i.id FROM json_array_elements_text($2::text::json) AS i(id)
  LEFT JOIN LATERAL (SELECT 1 AS hit FROM ${E} e WHERE e.id = i.id COLLATE "C" LIMIT 1) x ON true
  WHERE x.hit IS NULL
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
)
UPDATE ${T} SET deltas = deltas + $1::bigint, entities = entities + (SELECT count(*) FROM new_entities),
  newest_time = GREATEST(newest_time, $3::bigint)
WHERE id = 1`;

const COPY_DELTAS = `COPY ${D} (${COPY_DELTAS_COLUMNS}) FROM STDIN`;
const COPY_POINTERS = `COPY ${P} (${COPY_POINTERS_COLUMNS}) FROM STDIN`;
const SAVEPOINT = 'rhizome_append';

type CopyingQueryable = SqlQueryable & Required<Pick<SqlQueryable, 'copyFrom'>>;

export interface CopyAppendResult {
  /** The batch positions of the new deltas, in batch order, which is seq order. */
  readonly fresh: readonly number[];
  /** The seq of the first of them; the others follow one by one. */
  readonly firstSeq: number;
  /** The transaction's now(), in ms: every new delta's receivedAt. */
  readonly receivedMs: number;
  /** Whether some of the batch was stored already. */
  readonly sawDuplicates: boolean;
}

/**
 * Writes the batch's new deltas through `tx`, which must be inside a transaction; takes the
 * append lock (`lockSql`) first and calls `onLocked` once it holds it.
 *
 * With `probeFirst` off (the store's choice while appends bring only new deltas), the deltas
 * are copied without asking first, under a savepoint: the primary key refuses a stored id, and
 * only then does the append roll back to the savepoint, probe and copy the rest. That saves a
 * descent of the primary key per delta on plain ingest; a batch holding duplicates costs a
 * wasted COPY instead, so the store probes first after it has met one.
 */
export async function appendByCopy(
  tx: CopyingQueryable,
  batch: CopyBatch,
  probeFirst: boolean,
  lockSql: string,
  onLocked: () => void,
  known?: KnownEntities,
): Promise<CopyAppendResult> {
  // Statements that need no answer in between are sent together (postgres-js pipelines the
  // queries of a transaction, which run in the order sent): a batch is five round trips, BEGIN
  // and COMMIT included, and the server does not sit idle while Node validates the next batch.
  const all = batch.deltas.map((_, index) => index);
  const freshOf = (existing: readonly { id: string }[]): number[] => {
    if (existing.length === 0) return all;
    const stored = new Set(existing.map((row) => row.id));
    return all.filter((index) => !stored.has(batch.deltas[index]!.id));
  };
  // The ids joined by newlines (base64url: never a newline), made only when asked.
  const probe = () =>
    tx.query<{ id: string }>(EXISTING_SQL, [batch.deltas.map((delta) => delta.id).join('\n')]);
  const reserve = (count: number) =>
    tx
      .query<{ last_seq: string; received_ms: string | number }>(RESERVE_SQL, [count])
      .then(([row]) => ({
        first: Number(row!.last_seq) - count + 1,
        receivedMs: Number(row!.received_ms),
      }));
  const keepTotals = (indexes: readonly number[]) =>
    tx.query(TOTALS_SQL, [
      indexes.length,
      entityIdsJson(batch, indexes, known),
      batch.deltas.reduce((newest, delta) => Math.max(newest, delta.timeCreated), 0),
    ]);

  let fresh: number[];
  let sawDuplicates: boolean;
  let block: { first: number; receivedMs: number };
  if (probeFirst) {
    const [, existing] = await Promise.all([tx.query(lockSql).then(onLocked), probe()]);
    fresh = freshOf(existing);
    sawDuplicates = fresh.length < all.length;
    if (fresh.length === 0) return { fresh, firstSeq: 0, receivedMs: 0, sawDuplicates };
    [block] = await Promise.all([reserve(fresh.length), keepTotals(fresh)]);
    await tx.copyFrom(COPY_DELTAS, deltaRows(batch, fresh, block.first));
  } else {
    fresh = all;
    sawDuplicates = false;
    // The totals go in after the savepoint, so that rolling back to it undoes them too.
    [, block] = await Promise.all([
      tx.query(lockSql).then(onLocked),
      reserve(all.length),
      tx.query(`SAVEPOINT ${SAVEPOINT}`),
      keepTotals(all),
    ]);
    try {
      await tx.copyFrom(COPY_DELTAS, deltaRows(batch, all, block.first));
    } catch (error) {
      if (!isStoredIdConflict(error)) throw error;
      sawDuplicates = true;
      const [, existing] = await Promise.all([
        tx.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`),
        probe(),
      ]);
      fresh = freshOf(existing);
      if (fresh.length === 0) return { fresh, firstSeq: 0, receivedMs: 0, sawDuplicates };
      // The first block's numbers are left unused: seq may have gaps, never reuse.
      [block] = await Promise.all([reserve(fresh.length), keepTotals(fresh)]);
      await tx.copyFrom(COPY_DELTAS, deltaRows(batch, fresh, block.first));
    }
  }
  const pointers = pointerRows(batch, fresh, block.first);
  if (pointers.length > 0) await tx.copyFrom(COPY_POINTERS, pointers);
  return { fresh, firstSeq: block.first, receivedMs: block.receivedMs, sawDuplicates };
}

/** A unique violation of rhizome_deltas' primary key: the batch holds a stored delta. */
function isStoredIdConflict(error: unknown): boolean {
  const fields = error as { code?: unknown; constraint_name?: unknown } | null;
  return fields?.code === '23505' && fields.constraint_name === `${D}_pkey`;
}

/** Vocabulary.negates as an SQL literal, for the statements that leave negation targets out. */
export const NEGATES_LITERAL = `'${Vocabulary.negates.replaceAll("'", "''")}'`;
