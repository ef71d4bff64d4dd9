import { DeltaLimits, Vocabulary, freezeDelta, type Delta, type DeltaId } from '@rhizome/core';
import {
  StorageError,
  StorageErrorCode,
  checkAsOf,
  checkIdCount,
  collectClosure,
  listReferencePointers,
  resolveCursor,
  resolvePageSize,
  splitResult,
  validateBatch,
  type DeltaStore,
  type HyperviewRow,
  type StoredDelta,
} from '@rhizome/storage';
import { toStorageError } from './database-error.ts';
import { DELTAS_TABLE as D, POINTERS_TABLE as P } from './schema.ts';
import type { SqlClient, SqlQueryable } from './sql-client.ts';

/*
 * One statement writes a whole batch: the deltas go in with ON CONFLICT DO NOTHING, and the
 * pointer rows join on what that insert RETURNED, so only new deltas get index rows (and get
 * their delta's seq) and a batch is a handful of round trips whatever its size.
 *
 * After the indexes, parsing the parameters is the largest cost (a fifth of the server's time),
 * so each part travels in a form the server parses once and the driver does not escape element
 * by element:
 * - ids ($1) and bodies ($2) as text split on a newline: base64url ids have none, and
 *   JSON.stringify escapes every control character, so a body never holds a raw one. Each body
 *   is then parsed once, by the cast to json (a JSON array would be lexed twice: json_in, then
 *   json_array_elements).
 * - pointer rows ($3) as one JSON array read by json_to_recordset (measured a little cheaper
 *   than going through jsonb).
 */
const APPEND_SQL = `
WITH input AS (
  SELECT * FROM ROWS FROM (
    unnest(string_to_array($1::text, E'\\n')), unnest(string_to_array($2::text, E'\\n'))
  ) WITH ORDINALITY AS t(id, body, ord)
), inserted AS (
  INSERT INTO ${D} (id, body)
  SELECT id, body::json FROM input ORDER BY ord
  ON CONFLICT (id) DO NOTHING
  RETURNING id, seq
), indexed AS (
  INSERT INTO ${P} (target_id, target_context, time_created, delta_seq, position, local_context)
  SELECT p.t, p.c, p.m, i.seq, p.p, p.l
  FROM json_to_recordset($3::text::json) AS p(d text, t text, c text, m bigint, p smallint, l text)
  JOIN inserted i ON i.id = p.d COLLATE "C"
)
SELECT id FROM inserted`;

/*
 * Sequence numbers come from an identity column, and two transactions can commit them out of
 * order. A changes-feed reader would then step over the one committed later for good. Appends
 * therefore take a per-schema transaction lock, so numbers become visible in the order handed out.
 *
 * PGlite needs none of it: it is one backend, which runs one transaction at a time, so numbers
 * are handed out and committed in the same order. There APPEND_SQL runs on its own: a single
 * statement is its own transaction (all or nothing, committed before its result comes back),
 * which saves the lock and the BEGIN and COMMIT calls, each a full trip through the WebAssembly
 * backend on the caller's thread.
 */
const LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('rhizome:append:' || current_schema()))`;

export interface SqlStoreOptions {
  /** Close the client when the store closes (default true). */
  readonly ownsClient?: boolean;
}

interface BodyRow {
  body: Delta;
}

/** A DeltaStore over a migrated SqlClient (PGlite or postgres-js). */
export function createSqlDeltaStore(client: SqlClient, options: SqlStoreOptions = {}): DeltaStore {
  let closed = false;

  const run = async <T>(action: string, work: () => Promise<T>): Promise<T> => {
    if (closed) throw new StorageError(StorageErrorCode.Closed, 'the store is closed');
    try {
      return await work();
    } catch (error) {
      throw toStorageError(error, action);
    }
  };

  const fetchReferencing = async (
    targetIds: readonly string[],
    asOf?: number,
  ): Promise<Delta[]> => {
    const rows = await client.query<BodyRow>(
      `SELECT body FROM ${D} WHERE seq IN (SELECT delta_seq FROM ${P} WHERE target_id = ANY($1::text[])${
        asOf === undefined ? '' : ' AND time_created <= $2'
      })`,
      asOf === undefined ? [targetIds] : [targetIds, asOf],
    );
    return rows.map((row) => freezeDelta(row.body));
  };

  return {
    async append(input) {
      // Validation runs before the database is touched: a bad batch never costs a round trip.
      if (closed) throw new StorageError(StorageErrorCode.Closed, 'the store is closed');
      const batch = validateBatch(input);
      if (batch.unique.length === 0) return { inserted: [], duplicates: [] };
      const params = toAppendParams(batch.unique);
      const inserted = await run('append', () =>
        client.driver === 'pglite'
          ? client.query<{ id: string }>(APPEND_SQL, params)
          : client.transaction(async (tx: SqlQueryable) => {
              await tx.query(LOCK_SQL);
              return tx.query<{ id: string }>(APPEND_SQL, params);
            }),
      );
      return splitResult(input, new Set(inserted.map((row) => row.id)));
    },

    get(ids) {
      return run('get', async () => {
        checkIdCount(ids, 'get()');
        if (ids.length === 0) return [];
        const rows = await client.query<BodyRow>(
          `SELECT body FROM ${D} WHERE id = ANY($1::text[])`,
          [ids],
        );
        const byId = new Map(rows.map((row) => [row.body.id, row.body]));
        const out: Delta[] = [];
        for (const id of new Set(ids)) {
          const body = byId.get(id);
          if (body !== undefined) out.push(freezeDelta(body));
        }
        return out;
      });
    },

    hyperview(entityId, query = {}) {
      return run('hyperview', async () => {
        checkAsOf(query.asOf);
        const params: unknown[] = [entityId];
        let where = 'p.target_id = $1';
        if (query.property !== undefined) {
          params.push(query.property);
          where += ` AND p.target_context = $${params.length}`;
        }
        if (query.asOf !== undefined) {
          params.push(toTimeBound(query.asOf));
          where += ` AND p.time_created <= $${params.length}`;
        }
        const rows = await client.query<{
          property: string | null;
          local_context: string;
          body: Delta;
        }>(
          `SELECT p.target_context AS property, p.local_context, d.body
           FROM ${P} p JOIN ${D} d ON d.seq = p.delta_seq
           WHERE ${where}
           ORDER BY p.time_created, d.id, p.position`,
          params,
        );
        // One delta can point at the entity more than once; freeze it once.
        const frozen = new Map<DeltaId, Delta>();
        return rows.map((row): HyperviewRow => {
          let delta = frozen.get(row.body.id);
          if (delta === undefined) {
            delta = freezeDelta(row.body);
            frozen.set(delta.id, delta);
          }
          return { property: row.property, localContext: row.local_context, delta };
        });
      });
    },

    closure(entityIds, query = {}) {
      return run('closure', async () => {
        checkIdCount(entityIds, 'closure()');
        checkAsOf(query.asOf);
        const asOf = query.asOf === undefined ? undefined : toTimeBound(query.asOf);
        return collectClosure(entityIds, (ids) => fetchReferencing(ids, asOf), query.asOf);
      });
    },

    changes(query = {}) {
      return run('changes', async () => {
        const after = resolveCursor(query.after);
        const limit = resolvePageSize(query.limit);
        // Milliseconds computed in SQL: the drivers disagree on how they hand back a timestamptz.
        const rows = await client.query<{
          seq: string | number;
          received_ms: string | number;
          body: Delta;
        }>(
          `SELECT seq, floor(extract(epoch FROM received_at) * 1000)::float8 AS received_ms, body FROM ${D} WHERE seq > $1 ORDER BY seq LIMIT $2`,
          [after, limit + 1],
        );
        const hasMore = rows.length > limit;
        const entries = rows.slice(0, limit).map((row): StoredDelta =>
          Object.freeze({
            seq: Number(row.seq),
            receivedAt: Number(row.received_ms),
            delta: freezeDelta(row.body),
          }),
        );
        return { entries, cursor: entries.at(-1)?.seq ?? after, hasMore };
      });
    },

    entities(query = {}) {
      return run('entities', async () => {
        const limit = resolvePageSize(query.limit);
        const params: unknown[] = [Vocabulary.negates];
        let where = 'local_context <> $1';
        const prefix = query.prefix ?? '';
        if (prefix !== '') {
          params.push(prefix);
          where += ` AND target_id >= $${params.length} AND starts_with(target_id, $${params.length})`;
          const end = prefixUpperBound(prefix);
          if (end !== undefined) {
            params.push(end);
            where += ` AND target_id < $${params.length}`;
          }
        }
        if (query.after !== undefined) {
          params.push(query.after);
          where += ` AND target_id > $${params.length}`;
        }
        params.push(limit + 1);
        const rows = await client.query<{ target_id: string }>(
          `SELECT DISTINCT target_id FROM ${P} WHERE ${where} ORDER BY target_id LIMIT $${params.length}`,
          params,
        );
        const entities = rows.slice(0, limit).map((row) => row.target_id);
        return { entities, cursor: rows.length > limit ? entities.at(-1)! : null };
      });
    },

    counts() {
      return run('counts', async () => {
        const [row] = await client.query<{
          deltas: string | number;
          entities: string | number;
          last_seq: string | number;
        }>(
          `SELECT (SELECT count(*) FROM ${D}) AS deltas,
                  (SELECT count(DISTINCT target_id) FROM ${P} WHERE local_context <> $1) AS entities,
                  (SELECT coalesce(max(seq), 0) FROM ${D}) AS last_seq`,
          [Vocabulary.negates],
        );
        return {
          deltas: Number(row!.deltas),
          entities: Number(row!.entities),
          lastSeq: Number(row!.last_seq),
        };
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      if (options.ownsClient !== false) await client.close();
    },
  };
}

/**
 * Parameters of APPEND_SQL: the ids and the bodies, each joined by newlines, and the reference
 * pointers as one JSON array of rows keyed d (delta id), t, c (target id, context), m
 * (timeCreated), p (position), l (local context).
 * Names are made well-formed first: the server refuses a lone surrogate escaped in JSON, while
 * every other parameter (a hyperview's entity id, say) reaches it through the driver's UTF-8
 * encoding as U+FFFD, so the pointer rows must hold that same U+FFFD to be found.
 */
export function toAppendParams(batch: readonly Delta[]): [string, string, string] {
  const ids: string[] = [];
  const bodies: string[] = [];
  const pointers: PointerRow[] = [];
  for (const delta of batch) {
    ids.push(delta.id);
    bodies.push(JSON.stringify(delta));
    for (const pointer of listReferencePointers(delta)) {
      pointers.push({
        d: delta.id,
        t: wellFormed(pointer.targetId),
        c: pointer.targetContext === null ? null : wellFormed(pointer.targetContext),
        m: delta.timeCreated,
        p: pointer.position,
        l: wellFormed(pointer.localContext),
      });
    }
  }
  // One JSON.stringify over the whole array is about twice as fast as one per row plus joining.
  return [ids.join('\n'), bodies.join('\n'), JSON.stringify(pointers)];
}

interface PointerRow {
  d: string;
  t: string;
  c: string | null;
  m: number;
  p: number;
  l: string;
}

// In unicode mode a surrogate pair is one astral code point, so these match lone surrogates only.
const HAS_LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** String.prototype.toWellFormed (ES2024, beyond this package's lib target). */
function wellFormed(value: string): string {
  return HAS_LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATES, '\uFFFD') : value;
}

/**
 * The least string above every string starting with `prefix` in byte order: the prefix with its
 * last code point raised by one. Lets a prefix listing stop at the end of its index range.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix];
  const last = points.pop()!.codePointAt(0)!;
  if (last >= 0x10ffff) return undefined;
  // Skip the surrogate block, which is not valid on its own in UTF-8.
  const next = last === 0xd7ff ? 0xe000 : last + 1;
  return points.join('') + String.fromCodePoint(next);
}

/**
 * An `asOf` as a bigint the database accepts, selecting the same deltas as `timeCreated <= asOf`
 * does in memory: fractions round down and anything past the valid range is clamped.
 */
export function toTimeBound(asOf: number): number {
  return Math.max(-1, Math.min(DeltaLimits.maxTimeCreated, Math.floor(asOf)));
}
