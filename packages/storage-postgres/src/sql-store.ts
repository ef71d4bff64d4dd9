import { DeltaLimits, Vocabulary, freezeDelta, type Delta, type DeltaId } from '@rhizome/core';
import {
  StorageError,
  StorageErrorCode,
  StorageLimits,
  checkAsOf,
  checkIdCount,
  checkIdList,
  checkPeerAddress,
  checkPeerName,
  checkProperties,
  collectClosure,
  createAppendListeners,
  listReferencePointers,
  parsePeerCursor,
  resolveCursor,
  resolveIdRange,
  resolvePageSize,
  splitParsed,
  splitResult,
  validateBatch,
  type AppendResult,
  type DeltaStore,
  type ValidatedBatch,
  type HyperviewRow,
  type PeerCursor,
  type StoredDelta,
} from '@rhizome/storage';
import {
  KnownEntities,
  type CopyAppendResult,
  NEGATES_LITERAL,
  NODE_SLICE,
  appendByCopy,
  encodeCopyBatch,
  nextTurn,
  wellFormed,
} from './copy-append.ts';
import { toStorageError } from './database-error.ts';
import { createFeedFollower } from './feed-follower.ts';
import {
  DELTAS_TABLE as D,
  ENTITIES_TABLE as E,
  META_TABLE as M,
  PEER_CURSORS_TABLE as C,
  POINTERS_TABLE as P,
  SAVED_PEERS_TABLE as S,
  TOTALS_TABLE as T,
} from './schema.ts';
import type { SqlClient, SqlQueryable } from './sql-client.ts';

/*
 * The append on PGlite, and for small batches on a PostgreSQL server (larger ones go in by COPY,
 * see copy-append.ts; COPY's sub-protocol is not PGlite's). One statement writes a whole batch: the deltas go in with ON CONFLICT DO NOTHING,
 * and the pointer rows join on what that insert RETURNED, so only new deltas get index rows (and
 * get their delta's seq), their entities join rhizome_entities and the totals row moves on.
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
), pointer_rows AS (
  SELECT p.*, i.seq
  FROM json_to_recordset($3::text::json) AS p(d text, t text, c text, m bigint, p smallint, l text)
  JOIN inserted i ON i.id = p.d COLLATE "C"
), indexed AS (
  INSERT INTO ${P} (target_id, target_context, time_created, delta_seq, position, local_context)
  SELECT t, c, m, seq, p, l FROM pointer_rows
), new_entities AS (
  INSERT INTO ${E} (id) SELECT DISTINCT t FROM pointer_rows WHERE l <> ${NEGATES_LITERAL}
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
), moved AS (
  UPDATE ${T}
  SET deltas = deltas + (SELECT count(*) FROM inserted),
      entities = entities + (SELECT count(*) FROM new_entities),
      newest_time = GREATEST(newest_time, $4::bigint)
  WHERE id = 1 AND EXISTS (SELECT FROM inserted)
)
SELECT id, seq, floor(extract(epoch FROM now()) * 1000)::float8 AS received_ms FROM inserted`;
// now() is the transaction's start, the same value the received_at default took: the entries
// handed to onAppend match what changes() reads later without reading the rows back.

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

/*
 * onAppend must report entries in seq order with no gaps between calls, but two appends of one
 * process on two pooled connections could take the lock in one order and have their replies
 * arrive in the other. So a store hands out turns: an append asks for the lock only once the
 * previous one holds it, which puts it straight behind that one in PostgreSQL's lock queue, and
 * it reports its entries only after the previous one has. The server thus starts the next
 * batch the moment the previous one commits, instead of after a round trip through Node
 * (sampled during an ingest of 10,000-delta batches before this, no transaction was open in 10% of
 * the samples). On PGlite, which
 * runs one statement at a time in the order given, an append simply waits for the previous one.
 */

/** How many entity ids a store remembers as listed (see KnownEntities): ~100 bytes each. */
const KNOWN_ENTITIES_LIMIT = 200_000;

/** Batches from this size on go in by COPY on a PostgreSQL server (see copy-append.ts). */
const COPY_MIN_BATCH = 100;

/** The feed id, created by the first store to ask and then read by every later one. */
const FEED_ID_SQL = `
WITH created AS (
  INSERT INTO ${M} (key, value) VALUES ('feed_id', $1) ON CONFLICT (key) DO NOTHING RETURNING value
)
SELECT value FROM created UNION ALL SELECT value FROM ${M} WHERE key = 'feed_id'`;

/*
 * Saves a peer address, later than every saved one: savedPeers lists by added_at, and PGlite's
 * clock ticks in milliseconds, so two saves in a row would often tie on now() and come back in
 * address order instead of the order they were saved in. Only saves racing on a server can
 * still tie (their order is then the address's). GREATEST skips the NULL of an empty table.
 */
const SAVE_PEER_SQL = `
INSERT INTO ${S} (address, added_at)
VALUES ($1, greatest(now(), (SELECT max(added_at) + interval '1 microsecond' FROM ${S})))
ON CONFLICT (address) DO NOTHING
RETURNING 1`;

/** The NOTIFY channel of the schema's feed: channel names are at most 63 bytes, schemas too. */
export const FEED_CHANNEL_SQL = `'rhizome_feed_' || left(md5(current_schema()), 16)`;

export interface SqlStoreOptions {
  /** Close the client when the store closes (default true). */
  readonly ownsClient?: boolean;
  /**
   * Report other processes' appends to `onAppend` listeners too (PostgreSQL shared by several
   * nodes): follow the feed from seq `after`, woken by `subscribe` (LISTEN) and a poll.
   */
  readonly follow?: {
    readonly after: number;
    readonly pollMs: number;
    /**
     * Starts waking the follower with each notification's payload (the notifying store's
     * `origin`: a store ignores its own); resolves to the function that stops it.
     */
    readonly subscribe: (wake: (payload?: string) => void) => Promise<() => Promise<void>>;
    readonly onError?: (error: unknown) => void;
  };
}

/**
 * Wakes the other processes following this schema's feed (see feed-follower.ts). Inside the
 * append's transaction: delivered at commit, dropped on rollback, and coalesced by PostgreSQL.
 */
export const NOTIFY_SQL = `SELECT pg_notify(${FEED_CHANNEL_SQL}, $1)`;

interface BodyRow {
  body: Delta;
}

interface InsertedRow {
  id: string;
  seq: string | number;
  received_ms: string | number;
}

/** A DeltaStore over a migrated SqlClient (PGlite or postgres-js). */
export function createSqlDeltaStore(client: SqlClient, options: SqlStoreOptions = {}): DeltaStore {
  let closed = false;
  const listeners = createAppendListeners();
  // Settle when the latest append holds the append lock (or ended), and when it has finished.
  let locked: Promise<void> = Promise.resolve();
  const knownEntities = new KnownEntities(KNOWN_ENTITIES_LIMIT);
  let finished: Promise<void> = Promise.resolve();
  // Whether the last COPY append met stored deltas: then the next one asks before copying.
  let metDuplicates = false;
  let feedId: Promise<string> | undefined;
  const follow = options.follow;
  // Sent with this store's notifications, so that it skips the read its own would wake.
  const origin = crypto.randomUUID();
  const follower =
    follow === undefined
      ? undefined
      : createFeedFollower({
          after: follow.after,
          pollMs: follow.pollMs,
          read: (after) => store.changes({ after }),
          report: (entries) => listeners.notify(entries),
          onError: follow.onError ?? (() => {}),
        });
  let stopWaking: Promise<() => Promise<void>> | undefined;
  if (follow !== undefined && follower !== undefined) {
    stopWaking = follow.subscribe((payload) => {
      if (payload !== origin) follower.wake(); // its own appends it reports itself
    });
    stopWaking.catch((error: unknown) => follow.onError?.(error));
  }

  const run = async <T>(action: string, work: () => Promise<T>): Promise<T> => {
    if (closed) throw new StorageError(StorageErrorCode.Closed, 'the store is closed');
    try {
      return await work();
    } catch (error) {
      throw toStorageError(error, action);
    }
  };

  // The planner cannot know that an entity holds a handful of the pointer rows (at 10M deltas it
  // estimated 58,763 for one id), and with such estimates it hash-joins whole tables: seconds
  // instead of a millisecond. So every lookup here is an index probe per row, forced with a
  // LATERAL subquery that `OFFSET 0` keeps from being flattened into a join.
  const deltasAt = (targets: string, bound: string) =>
    `SELECT d.body FROM (SELECT DISTINCT delta_seq FROM ${P} WHERE target_id = ANY(${targets})${bound}) p
     CROSS JOIN LATERAL (SELECT body FROM ${D} WHERE seq = p.delta_seq OFFSET 0) d`;

  const fetchReferencing = async (
    targetIds: readonly string[],
    asOf?: number,
  ): Promise<Delta[]> => {
    const rows = await client.query<BodyRow>(
      deltasAt('$1::text[]', asOf === undefined ? '' : ' AND time_created <= $2'),
      asOf === undefined ? [targetIds] : [targetIds, asOf],
    );
    return rows.map((row) => freezeDelta(row.body));
  };

  // One statement for two hops of a closure walk: the deltas at `targetIds`, and those pointing
  // at them, each tagged with the id it points at.
  const fetchTwoHops = async (
    targetIds: readonly string[],
    asOf?: number,
  ): Promise<{ first: Delta[]; firstIds: string[]; second: [string, Delta][] }> => {
    const bound = asOf === undefined ? '' : ' AND time_created <= $2';
    const rows = await client.query<{ via: string | null; body: Delta }>(
      `WITH first AS MATERIALIZED (${deltasAt('$1::text[]', bound)})
       SELECT NULL::text AS via, body FROM first
       UNION ALL
       SELECT f.id AS via, d.body FROM (SELECT body->>'id' AS id FROM first) f
       CROSS JOIN LATERAL (SELECT delta_seq FROM ${P} WHERE target_id = f.id${bound} OFFSET 0) p
       CROSS JOIN LATERAL (SELECT body FROM ${D} WHERE seq = p.delta_seq OFFSET 0) d`,
      asOf === undefined ? [targetIds] : [targetIds, asOf],
    );
    const first: Delta[] = [];
    const second: [string, Delta][] = [];
    for (const row of rows) {
      const delta = freezeDelta(row.body);
      if (row.via === null) first.push(delta);
      else second.push([row.via, delta]);
    }
    return { first, firstIds: first.map((delta) => delta.id), second };
  };

  /** append and appendValidated: `known` is the JSON text the caller holds per input. */
  const appendInput = async (
    input: readonly unknown[],
    known?: readonly (string | undefined)[],
  ): Promise<AppendResult> => {
    // Validation runs before the database is touched: a bad batch never costs a round trip.
    if (closed) throw new StorageError(StorageErrorCode.Closed, 'the store is closed');
    const batch = await validateInSlices(input, known);
    if (batch.unique.length === 0) return { inserted: [], duplicates: [] };
    // Encoded before waiting for the previous append: this Node work overlaps its write.
    // COPY on a server, for batches big enough to repay its extra round trips; APPEND_SQL on
    // PGlite and for small batches (4 round trips instead of 5, no savepoint, no probe).
    const copy =
      client.driver !== 'pglite' && batch.unique.length >= COPY_MIN_BATCH
        ? await encodeCopyBatch(batch.unique, batch.json)
        : undefined;
    const params = copy === undefined ? toAppendParams(batch.unique, batch.json) : undefined;
    // The turn: on a server this append starts once the previous one holds the append lock
    // (its lock request then queues in PostgreSQL behind that one, so they still commit in
    // call order, and the server goes from one batch to the next without waiting on Node);
    // on PGlite, which runs one statement at a time anyway, once the previous one finished.
    const prior = finished;
    const priorLocked = locked;
    let markLocked!: () => void;
    let markFinished!: () => void;
    locked = new Promise((resolve) => (markLocked = resolve));
    finished = new Promise((resolve) => (markFinished = resolve));
    const write = (): Promise<Written> =>
      run('append', async () => {
        if (client.driver === 'pglite')
          return fromRows(batch.unique, await client.query<InsertedRow>(APPEND_SQL, params));
        return client.transaction(async (tx: SqlQueryable) => {
          if (params !== undefined) {
            await tx.query(LOCK_SQL);
            markLocked();
            const rows = await tx.query<InsertedRow>(APPEND_SQL, params);
            if (follower !== undefined && rows.length > 0) await tx.query(NOTIFY_SQL, [origin]);
            return fromRows(batch.unique, rows);
          }
          if (tx.copyFrom === undefined) throw new Error('the driver cannot COPY');
          const result = await appendByCopy(
            { query: tx.query, copyFrom: tx.copyFrom },
            copy!,
            metDuplicates,
            LOCK_SQL,
            markLocked,
            knownEntities,
          );
          metDuplicates = result.sawDuplicates;
          if (follower !== undefined && result.fresh.length > 0)
            await tx.query(NOTIFY_SQL, [origin]);
          return fromCopy(batch.unique, result);
        });
      });
    let written: Written;
    try {
      await (client.driver === 'pglite' ? prior : priorLocked);
      written = await write();
      if (copy !== undefined) knownEntities.addBatch(copy);
      // The previous append committed first: its entries go out first.
      await prior;
      if (written.ids.length > 0) {
        if (follower === undefined) {
          if (listeners.size > 0) listeners.notify(written.entries());
        } else if (listeners.size > 0) await follower.reportOwn(written.entries());
        else follower.advanceTo(written.lastSeq());
      }
    } finally {
      markLocked();
      markFinished();
    }
    // Everything new and nothing repeated (plain ingest): the ids are the input's, in order.
    if (written.inBatchOrder && written.ids.length === input.length)
      return { inserted: written.ids, duplicates: [] };
    return splitResult(input, new Set(written.ids));
  };

  const store: DeltaStore = {
    append: (input) => appendInput(input),

    async appendValidated(input) {
      if (closed) throw new StorageError(StorageErrorCode.Closed, 'the store is closed');
      const { deltas, json } = splitParsed(input);
      return appendInput(deltas, json);
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
        // The first call also brings the deltas pointing at the deltas it finds (negations,
        // usually none): the walk's second hop is then answered without a second round trip.
        const prefetched = new Map<string, Delta[]>();
        let first = true;
        return collectClosure(
          entityIds,
          async (ids) => {
            if (first) {
              first = false;
              const found = await fetchTwoHops(ids, asOf);
              for (const id of found.firstIds) prefetched.set(id, []);
              for (const [via, delta] of found.second) prefetched.get(via)?.push(delta);
              return found.first;
            }
            const rest = ids.filter((id) => !prefetched.has(id));
            const out = ids.flatMap((id) => prefetched.get(id) ?? []);
            for (const id of ids) prefetched.delete(id);
            if (rest.length > 0) out.push(...(await fetchReferencing(rest, asOf)));
            return out;
          },
          query.asOf,
        );
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
        // A range scan of rhizome_entities' primary key, which append keeps.
        const params: unknown[] = [];
        const where: string[] = [];
        const prefix = query.prefix ?? '';
        if (prefix !== '') {
          params.push(prefix);
          where.push(`id >= $${params.length} AND starts_with(id, $${params.length})`);
          const end = prefixUpperBound(prefix);
          if (end !== undefined) {
            params.push(end);
            where.push(`id < $${params.length}`);
          }
        }
        if (query.after !== undefined) {
          params.push(query.after);
          where.push(`id > $${params.length}`);
        }
        checkProperties(query.properties);
        if (query.properties !== undefined) {
          // Probes the (target_id, target_context) index once per listed entity.
          params.push(query.properties.map(wellFormed));
          where.push(
            `EXISTS (SELECT 1 FROM ${P} p WHERE p.target_id = ${E}.id AND p.target_context = ANY($${params.length}::text[]))`,
          );
        }
        params.push(limit + 1);
        const rows = await client.query<{ id: string }>(
          `SELECT id FROM ${E}${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY id LIMIT $${params.length}`,
          params,
        );
        const entities = rows.slice(0, limit).map((row) => row.id);
        return { entities, cursor: rows.length > limit ? entities.at(-1)! : null };
      });
    },

    counts() {
      return run('counts', async () => {
        // The totals row append keeps, and the last seq from the end of the seq index.
        const [row] = await client.query<{
          deltas: string | number;
          entities: string | number;
          last_seq: string | number;
          newest_time: string | number;
        }>(
          `SELECT deltas, entities, newest_time, (SELECT coalesce(max(seq), 0) FROM ${D}) AS last_seq
           FROM ${T} WHERE id = 1`,
        );
        if (row === undefined) throw new Error(`${T} has no row: the migrations did not run`);
        return {
          deltas: Number(row.deltas),
          entities: Number(row.entities),
          lastSeq: Number(row.last_seq),
          newestTime: Number(row.newest_time),
        };
      });
    },

    feedId() {
      return run('feedId', () => {
        if (feedId === undefined) {
          const reading = readFeedId(client);
          feedId = reading;
          // A failed read is not remembered: the next call tries again.
          reading.catch(() => {
            if (feedId === reading) feedId = undefined;
          });
        }
        return feedId;
      });
    },

    listIds(query) {
      return run('listIds', async () => {
        const { lower, upper, limit } = resolveIdRange(query);
        const params: unknown[] = [];
        const where: string[] = [];
        if (lower !== undefined) {
          params.push(lower);
          where.push(`id >= $${params.length}`);
        }
        if (upper !== undefined) {
          params.push(upper);
          where.push(`id < $${params.length}`);
        }
        params.push(limit);
        // A range scan of the primary key, whose "C" collation is code-unit order for these ids.
        const rows = await client.query<{ id: string }>(
          `SELECT id FROM ${D}${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY id LIMIT $${params.length}`,
          params,
        );
        return rows.map((row) => row.id);
      });
    },

    negationsOf(ids) {
      return run('negationsOf', async () => {
        const targets = checkIdList(ids, 'negationsOf()');
        if (targets.length === 0) return [];
        // Negation pointers are rows of the pointer index like any reference (their target is a
        // delta id), so this is a probe of rhizome_pointers_target_idx per id.
        const rows = await client.query<{ id: string }>(
          `SELECT DISTINCT d.id FROM ${P} p JOIN ${D} d ON d.seq = p.delta_seq
           WHERE p.target_id = ANY($1::text[]) AND p.local_context = $2
           ORDER BY d.id`,
          [targets, Vocabulary.negates],
        );
        return rows.map((row) => row.id);
      });
    },

    getPeerCursor(peer) {
      return run('getPeerCursor', async () => {
        const [row] = await client.query<{
          feed_id: string;
          seq: string | number;
          filter: string | null;
        }>(`SELECT feed_id, seq, filter FROM ${C} WHERE peer = $1`, [checkPeerName(peer)]);
        if (row === undefined) return undefined;
        const cursor: PeerCursor = { feedId: row.feed_id, seq: Number(row.seq) };
        return Object.freeze(row.filter === null ? cursor : { ...cursor, filter: row.filter });
      });
    },

    setPeerCursor(peer, cursor) {
      return run('setPeerCursor', async () => {
        const name = checkPeerName(peer);
        const { feedId: peerFeed, seq, filter } = parsePeerCursor(cursor);
        await client.query(
          `INSERT INTO ${C} (peer, feed_id, seq, filter) VALUES ($1, $2, $3, $4)
           ON CONFLICT (peer) DO UPDATE
           SET feed_id = excluded.feed_id, seq = excluded.seq, filter = excluded.filter, updated_at = now()`,
          [name, peerFeed, seq, filter ?? null],
        );
      });
    },

    savedPeers() {
      return run('savedPeers', async () => {
        const rows = await client.query<{ address: string }>(
          `SELECT address FROM ${S} ORDER BY added_at, address`,
        );
        return rows.map((row) => row.address);
      });
    },

    savePeer(address) {
      return run('savePeer', async () => {
        const rows = await client.query(SAVE_PEER_SQL, [checkPeerAddress(address)]);
        return rows.length > 0;
      });
    },

    forgetPeer(address) {
      return run('forgetPeer', async () => {
        const rows = await client.query(`DELETE FROM ${S} WHERE address = $1 RETURNING 1`, [
          checkPeerAddress(address),
        ]);
        return rows.length > 0;
      });
    },

    onAppend(listener) {
      return listeners.subscribe(listener);
    },

    async close() {
      if (closed) return;
      closed = true;
      follower?.close();
      await (await stopWaking?.catch(() => undefined))?.().catch(() => {});
      listeners.clear();
      if (options.ownsClient !== false) await client.close();
    },
  };
  return store;
}

/**
 * Reads the feed id, creating it if this is the first ask. When another process creates it at
 * the same moment, this statement's insert waits for that one and does nothing, but its snapshot
 * predates that row, so it sees no row at all; the next statement does.
 */
async function readFeedId(client: SqlQueryable): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const [row] = await client.query<{ value: string }>(FEED_ID_SQL, [crypto.randomUUID()]);
    if (row !== undefined) return row.value;
    if (attempt === 2) throw new Error('the feed id was neither created nor found');
  }
}

/** What an append wrote: the new ids, and its entries for onAppend, made only if asked for. */
interface Written {
  readonly ids: readonly DeltaId[];
  /** Whether `ids` is in batch order (the COPY append's is; RETURNING promises no order). */
  readonly inBatchOrder: boolean;
  entries(): StoredDelta[];
  /** The highest seq the append handed out. */
  lastSeq(): number;
}

/** What APPEND_SQL returned: onAppend's entries are the batch's new deltas in seq order. */
function fromRows(batch: readonly Delta[], rows: readonly InsertedRow[]): Written {
  return {
    ids: rows.map((row) => row.id),
    inBatchOrder: false,
    lastSeq: () => rows.reduce((max, row) => Math.max(max, Number(row.seq)), 0),
    entries() {
      const byId = new Map(batch.map((delta) => [delta.id, delta]));
      return rows
        .map((row): StoredDelta =>
          Object.freeze({
            seq: Number(row.seq),
            receivedAt: Number(row.received_ms),
            delta: byId.get(row.id)!,
          }),
        )
        .sort((a, b) => a.seq - b.seq);
    },
  };
}

/** What the COPY append wrote: positions in the batch, numbered one by one from firstSeq. */
function fromCopy(batch: readonly Delta[], result: CopyAppendResult): Written {
  const { fresh, firstSeq, receivedMs } = result;
  return {
    ids: fresh.map((index) => batch[index]!.id),
    inBatchOrder: true,
    lastSeq: () => firstSeq + fresh.length - 1,
    entries: () =>
      fresh.map((index, k): StoredDelta =>
        Object.freeze({ seq: firstSeq + k, receivedAt: receivedMs, delta: batch[index]! }),
      ),
  };
}

/**
 * validateBatch, NODE_SLICE inputs at a time with a turn of the event loop in between (see
 * NODE_SLICE; measured at 400k deltas, two appends in flight: +10–14% deltas/s). The result is
 * the same: the first occurrence of each id, in input order. On a bad delta the whole input is
 * validated again, so the error, and the index it names, is exactly validateBatch's.
 */
async function validateInSlices(
  input: readonly unknown[],
  known?: readonly (string | undefined)[],
): Promise<Pick<ValidatedBatch, 'unique' | 'json'>> {
  const all = known === undefined ? {} : { json: known };
  if (
    !Array.isArray(input) ||
    input.length <= NODE_SLICE ||
    input.length > StorageLimits.maxBatchSize
  )
    return validateBatch(input, all);
  const unique: Delta[] = [];
  const json: string[] = [];
  const seen = new Set<string>();
  for (let start = 0; start < input.length; start += NODE_SLICE) {
    if (start > 0) await nextTurn();
    let slice: ValidatedBatch;
    try {
      slice = validateBatch(
        input.slice(start, start + NODE_SLICE),
        known === undefined ? {} : { json: known.slice(start, start + NODE_SLICE) },
      );
    } catch {
      return validateBatch(input, all);
    }
    slice.unique.forEach((delta, i) => {
      if (seen.has(delta.id)) return;
      seen.add(delta.id);
      unique.push(delta);
      json.push(slice.json[i]!);
    });
  }
  return { unique, json };
}

/**
 * Parameters of APPEND_SQL: the ids and the bodies, each joined by newlines, and the reference
 * pointers as one JSON array of rows keyed d (delta id), t, c (target id, context), m
 * (timeCreated), p (position), l (local context).
 * Names are made well-formed first: the server refuses a lone surrogate escaped in JSON, while
 * every other parameter (a hyperview's entity id, say) reaches it through the driver's UTF-8
 * encoding as U+FFFD, so the pointer rows must hold that same U+FFFD to be found.
 */
export function toAppendParams(
  batch: readonly Delta[],
  json: readonly string[],
): [string, string, string, number] {
  const ids: string[] = [];
  const pointers: PointerRow[] = [];
  let newest = 0;
  for (const delta of batch) {
    ids.push(delta.id);
    if (delta.timeCreated > newest) newest = delta.timeCreated;
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
  return [ids.join('\n'), json.join('\n'), JSON.stringify(pointers), newest];
}

interface PointerRow {
  d: string;
  t: string;
  c: string | null;
  m: number;
  p: number;
  l: string;
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
