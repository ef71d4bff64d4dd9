import { Vocabulary, type Delta } from '@rhizome/core';
import { isEntityPointer, listReferencePointers } from '@rhizome/storage';
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
 * Everything costly in Node (JSON.stringify, escaping) happens in `encodeCopyBatch`, before the
 * lock is taken. Only the sequence numbers are unknown until then, so each line is kept without
 * its leading `seq\t`, which `deltaLines`/`pointerLines` prepend.
 */
export interface CopyBatch {
  /** The deltas' ids joined by newlines (base64url: never a newline). */
  readonly ids: string;
  readonly deltas: readonly Delta[];
  /** Per delta: `id\tbody\n`, the columns after seq of `COPY_DELTAS_COLUMNS`. */
  readonly deltaTails: readonly string[];
  /**
   * The pointer rows, each the columns after delta_seq of `COPY_POINTERS_COLUMNS`; those of
   * delta i are pointerTails[pointerStart[i]] up to pointerTails[pointerStart[i + 1]].
   */
  readonly pointerTails: readonly string[];
  readonly pointerStart: readonly number[];
  /** The well-formed ids of the entities pointed at (negation targets excluded), same ranges. */
  readonly entityIds: readonly string[];
  readonly entityStart: readonly number[];
}

export const COPY_DELTAS_COLUMNS = 'seq, id, body';
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
 * encoding). 10,000 deltas take ~90 ms of it; done in one go, it held up the replies of the
 * append being written meanwhile, so the server waited for Node instead of working alongside.
 */
export const NODE_SLICE = 1_000;

/** Resolves after pending I/O callbacks had their turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Encodes a batch for COPY, yielding to the event loop every NODE_SLICE deltas. */
export async function encodeCopyBatch(batch: readonly Delta[]): Promise<CopyBatch> {
  const ids: string[] = [];
  const deltaTails: string[] = [];
  const pointerTails: string[] = [];
  const pointerStart: number[] = [];
  const entityIds: string[] = [];
  const entityStart: number[] = [];
  for (const [index, delta] of batch.entries()) {
    if (index > 0 && index % NODE_SLICE === 0) await nextTurn();
    ids.push(delta.id);
    // JSON.stringify escapes every control character, so of COPY's specials only backslash
    // can occur in a body.
    const body = JSON.stringify(delta);
    deltaTails.push(`${delta.id}\t${body.includes('\\') ? body.replaceAll('\\', '\\\\') : body}\n`);
    pointerStart.push(pointerTails.length);
    entityStart.push(entityIds.length);
    for (const pointer of listReferencePointers(delta)) {
      const target = nameField(pointer.targetId);
      const context = pointer.targetContext === null ? '\\N' : nameField(pointer.targetContext);
      pointerTails.push(
        `\t${target}\t${context}\t${delta.timeCreated}\t${pointer.position}\t${nameField(pointer.localContext)}\n`,
      );
      if (isEntityPointer(pointer)) entityIds.push(wellFormed(pointer.targetId));
    }
  }
  pointerStart.push(pointerTails.length);
  entityStart.push(entityIds.length);
  return {
    ids: ids.join('\n'),
    deltas: batch,
    deltaTails,
    pointerTails,
    pointerStart,
    entityIds,
    entityStart,
  };
}

/** COPY text for the deltas at `indexes`, numbered from `firstSeq` in that order. */
export function deltaLines(batch: CopyBatch, indexes: readonly number[], firstSeq: number): string {
  let text = '';
  indexes.forEach((index, k) => {
    text += `${firstSeq + k}\t${batch.deltaTails[index]!}`;
  });
  return text;
}

/** COPY text for the pointer rows of the deltas at `indexes`, numbered as in `deltaLines`. */
export function pointerLines(
  batch: CopyBatch,
  indexes: readonly number[],
  firstSeq: number,
): string {
  let text = '';
  indexes.forEach((index, k) => {
    const seq = firstSeq + k;
    const end = batch.pointerStart[index + 1]!;
    for (let p = batch.pointerStart[index]!; p < end; p++)
      text += `${seq}${batch.pointerTails[p]!}`;
  });
  return text;
}

/** The distinct entity ids the deltas at `indexes` point at, as a JSON array. */
export function entityIdsJson(batch: CopyBatch, indexes: readonly number[]): string {
  const ids = new Set<string>();
  for (const index of indexes) {
    const end = batch.entityStart[index + 1]!;
    for (let e = batch.entityStart[index]!; e < end; e++) ids.add(batch.entityIds[e]!);
  }
  return JSON.stringify([...ids]);
}

/** A new delta of the batch, as the append reports it (received_ms: the transaction's now()). */
export interface CopiedRow {
  id: string;
  seq: number;
  received_ms: number;
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
UPDATE ${T} SET deltas = deltas + $1::bigint, entities = entities + (SELECT count(*) FROM new_entities)
WHERE id = 1`;

const COPY_DELTAS = `COPY ${D} (${COPY_DELTAS_COLUMNS}) FROM STDIN`;
const COPY_POINTERS = `COPY ${P} (${COPY_POINTERS_COLUMNS}) FROM STDIN`;
const SAVEPOINT = 'rhizome_append';

type CopyingQueryable = SqlQueryable & Required<Pick<SqlQueryable, 'copyFrom'>>;

export interface CopyAppendResult {
  /** The new deltas in batch order, which is seq order. */
  readonly rows: CopiedRow[];
  /** Whether some of the batch was stored already. */
  readonly sawDuplicates: boolean;
}

/**
 * Writes the batch's new deltas through `tx`, which must be inside a transaction; takes the
 * append lock (`lockSql`) first.
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
  const probe = () => tx.query<{ id: string }>(EXISTING_SQL, [batch.ids]);
  const reserve = (count: number) =>
    tx
      .query<{ last_seq: string; received_ms: string | number }>(RESERVE_SQL, [count])
      .then(([row]) => ({
        first: Number(row!.last_seq) - count + 1,
        receivedMs: Number(row!.received_ms),
      }));
  const keepTotals = (indexes: readonly number[]) =>
    tx.query(TOTALS_SQL, [indexes.length, entityIdsJson(batch, indexes)]);

  let fresh: number[];
  let sawDuplicates: boolean;
  let block: { first: number; receivedMs: number };
  if (probeFirst) {
    const [, existing] = await Promise.all([tx.query(lockSql), probe()]);
    fresh = freshOf(existing);
    sawDuplicates = fresh.length < all.length;
    if (fresh.length === 0) return { rows: [], sawDuplicates };
    [block] = await Promise.all([reserve(fresh.length), keepTotals(fresh)]);
    await tx.copyFrom(COPY_DELTAS, deltaLines(batch, fresh, block.first));
  } else {
    fresh = all;
    sawDuplicates = false;
    // The totals go in after the savepoint, so that rolling back to it undoes them too.
    [, block] = await Promise.all([
      tx.query(lockSql),
      reserve(all.length),
      tx.query(`SAVEPOINT ${SAVEPOINT}`),
      keepTotals(all),
    ]);
    try {
      await tx.copyFrom(COPY_DELTAS, deltaLines(batch, all, block.first));
    } catch (error) {
      if (!isStoredIdConflict(error)) throw error;
      sawDuplicates = true;
      const [, existing] = await Promise.all([
        tx.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`),
        probe(),
      ]);
      fresh = freshOf(existing);
      if (fresh.length === 0) return { rows: [], sawDuplicates };
      // The first block's numbers are left unused: seq may have gaps, never reuse.
      [block] = await Promise.all([reserve(fresh.length), keepTotals(fresh)]);
      await tx.copyFrom(COPY_DELTAS, deltaLines(batch, fresh, block.first));
    }
  }
  const pointers = pointerLines(batch, fresh, block.first);
  if (pointers !== '') await tx.copyFrom(COPY_POINTERS, pointers);
  return {
    rows: fresh.map((index, k) => ({
      id: batch.deltas[index]!.id,
      seq: block.first + k,
      received_ms: block.receivedMs,
    })),
    sawDuplicates,
  };
}

/** A unique violation of rhizome_deltas' primary key: the batch holds a stored delta. */
function isStoredIdConflict(error: unknown): boolean {
  const fields = error as { code?: unknown; constraint_name?: unknown } | null;
  return fields?.code === '23505' && fields.constraint_name === `${D}_pkey`;
}

/** Vocabulary.negates as an SQL literal, for the statements that leave negation targets out. */
export const NEGATES_LITERAL = `'${Vocabulary.negates.replaceAll("'", "''")}'`;
