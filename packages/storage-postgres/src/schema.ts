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
    timeCreated: bigint('time_created', { mode: 'number' }).notNull(),
    host: text('host').notNull(),
    creator: text('creator').notNull(),
    /** The wire delta as received. `json` (not jsonb) keeps it verbatim and is cheaper to write. */
    body: json('body').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
  },
  (table) => [uniqueIndex('rhizome_deltas_seq_idx').on(table.seq)],
);

/**
 * One row per reference pointer: finds every delta at an entity (and property) by index, in
 * delta order. No primary key or foreign key: rows are written only for deltas inserted by the
 * same statement, and each extra index costs ingest throughput.
 */
export const pointers = pgTable(
  POINTERS_TABLE,
  {
    targetId: idText('target_id').notNull(),
    targetContext: text('target_context'),
    /** Copied from the delta so that asOf filters and delta order come from the index alone. */
    timeCreated: bigint('time_created', { mode: 'number' }).notNull(),
    deltaId: idText('delta_id').notNull(),
    position: smallint('position').notNull(),
    localContext: text('local_context').notNull(),
  },
  (table) => [
    index('rhizome_pointers_target_idx').on(
      table.targetId,
      table.targetContext,
      table.timeCreated,
      table.deltaId,
    ),
  ],
);
