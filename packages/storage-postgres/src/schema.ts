import {
  bigint,
  customType,
  index,
  json,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * The drizzle schema: the one statement of the tables. drizzle-kit generates the committed
 * migrations under drizzle/ from this file; `migrate()` applies them at start.
 */

// Ids compare byte-wise ("C"), so ORDER BY agrees with `compareDeltas` on base64url ids and prefix
// ranges on entity ids can use the index whatever the server's default collation is.
const idText = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});

export const DELTAS_TABLE = 'rhizome_deltas';
export const POINTERS_TABLE = 'rhizome_pointers';
export const META_TABLE = 'rhizome_meta';
export const PEER_CURSORS_TABLE = 'rhizome_peer_cursors';
export const ENTITIES_TABLE = 'rhizome_entities';
export const TOTALS_TABLE = 'rhizome_totals';
export const SAVED_PEERS_TABLE = 'rhizome_saved_peers';

export const deltas = pgTable(
  DELTAS_TABLE,
  {
    id: idText('id').primaryKey(),
    /** Local arrival order: the changes feed cursor. Never reused; may have gaps. */
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    /**
     * The wire delta as received. `json` (not jsonb) keeps it verbatim and is cheaper to write.
     * Nothing reads its fields in SQL: what queries filter on lives in the pointer rows.
     */
    body: json('body').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
  },
  (table) => [uniqueIndex('rhizome_deltas_seq_idx').on(table.seq)],
);

/**
 * One row per reference pointer: finds every delta at an entity (and property) by index. No
 * primary key or foreign key: rows are written only for deltas inserted by the same append,
 * and each extra index costs ingest throughput. The delta is referenced by its `seq` (8 bytes)
 * rather than its 43-character id.
 *
 * The index holds only (target_id, target_context): without a unique last column its equal keys
 * share one posting list (B-tree deduplication), so at 1M deltas it is ~10 MB where the old
 * (target_id, target_context, time_created, delta_seq) index was ~67 MB, and ingest writes
 * less WAL. Queries read time_created and delta_seq from the heap row, which they visit anyway
 * (the join to the delta needs it unless the visibility map is set).
 */
export const pointers = pgTable(
  POINTERS_TABLE,
  {
    targetId: idText('target_id').notNull(),
    /** "C" too: the index compares it on every insert, and a collation-aware compare is slow. */
    targetContext: idText('target_context'),
    /** Copied from the delta so that asOf filters and time order come from the index alone. */
    timeCreated: bigint('time_created', { mode: 'number' }).notNull(),
    deltaSeq: bigint('delta_seq', { mode: 'number' }).notNull(),
    position: smallint('position').notNull(),
    localContext: text('local_context').notNull(),
  },
  (table) => [index('rhizome_pointers_target_idx').on(table.targetId, table.targetContext)],
);

/**
 * Facts about the data as a whole, one row per key. `feed_id` names the seq numbering: written
 * once, by the first store to open the tables, so it lives and dies with the deltas it numbers.
 */
export const meta = pgTable(META_TABLE, {
  key: idText('key').primaryKey(),
  value: text('value').notNull(),
});

/** How far this node has pulled each sync peer's feed; survives restarts so a link resumes. */
export const peerCursors = pgTable(PEER_CURSORS_TABLE, {
  peer: idText('peer').primaryKey(),
  /** The peer's feed id the seq below counts in. */
  feedId: text('feed_id').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  /** Key of the link filter the cursor was reached under; null for none. */
  filter: text('filter'),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * The sync peers added at runtime (the API's POST /api/peers), so a restarted node dials them
 * again. Listed oldest first by added_at; the store makes each save's added_at later than every
 * stored one (see sql-store.ts), so the address only breaks ties between concurrent saves.
 */
export const savedPeers = pgTable(SAVED_PEERS_TABLE, {
  address: idText('address').primaryKey(),
  addedAt: timestamp('added_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * Every referenced entity id once (negation targets excluded, as `isEntityPointer` says): what
 * `entities()` pages through by its primary key. Kept by append, which inserts the targets of
 * each new delta's pointers, so listing never scans the pointer rows.
 */
export const knownEntities = pgTable(ENTITIES_TABLE, {
  id: idText('id').primaryKey(),
});

/**
 * Running totals for `counts()`, one row (id 1), updated by every append in its transaction, so
 * counting is one row read instead of a scan of every delta and pointer row.
 */
export const totals = pgTable(TOTALS_TABLE, {
  id: smallint('id').primaryKey(),
  deltas: bigint('deltas', { mode: 'number' }).notNull(),
  entities: bigint('entities', { mode: 'number' }).notNull(),
  /** The largest timeCreated stored: where a restarted node's clock resumes. */
  newestTime: bigint('newest_time', { mode: 'number' }).notNull().default(0),
});
