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
 * primary key or foreign key: rows are written only for deltas inserted by the same statement,
 * and each extra index costs ingest throughput. The delta is referenced by its `seq` (8 bytes)
 * rather than its 43-character id, which halves the pointer index.
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
  (table) => [
    index('rhizome_pointers_target_idx').on(
      table.targetId,
      table.targetContext,
      table.timeCreated,
      table.deltaSeq,
    ),
  ],
);
