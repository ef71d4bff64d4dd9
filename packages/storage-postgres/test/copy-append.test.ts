import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeltaStore, StoredDelta } from '@rhizome/storage';
import { createSmallDeltas, startDelta } from '@rhizome/testkit';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  MIGRATIONS_FOLDER,
  MIGRATIONS_TABLE,
  openPostgresStore,
  quoteIdentifier,
} from '../src/index.ts';
import { openPgliteStore } from '../src/pglite.ts';
import { loadPgliteTemplate } from './support/pglite.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeBackends,
  describeWithPostgres,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

// The PostgreSQL append streams rows with COPY (text format) and keeps rhizome_entities and
// rhizome_totals itself; these cover what the contract suite does not reach: names made of
// COPY's special characters, several processes appending to one schema, and a store written
// before the totals existed.

const schemas: string[] = [];
beforeAll(assertTestDatabaseReachable);
afterAll(() => dropSchemas(schemas));

function openServerStore(schema = createTestSchemaName()): Promise<DeltaStore> {
  if (!schemas.includes(schema)) schemas.push(schema);
  return openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 2 });
}

async function readFeed(store: DeltaStore): Promise<StoredDelta[]> {
  const out: StoredDelta[] = [];
  let after = 0;
  for (;;) {
    const page = await store.changes({ after, limit: 500 });
    out.push(...page.entries);
    after = page.cursor;
    if (!page.hasMore) return out;
  }
}

const backends: [string, () => Promise<DeltaStore>][] = [
  [
    'PGlite',
    async () =>
      openPgliteStore({ pglite: await (await loadPgliteTemplate()).clone(), migrate: false }),
  ],
  ['PostgreSQL', () => openServerStore()],
];

describeBackends(backends, 'names made of COPY text-format specials (%s)', (_name, open) => {
  it('stores and finds them verbatim', async () => {
    const store = await open();
    try {
      const names = ['tab\there', 'new\nline', 'cr\rhere', 'back\\slash', '\\N', '\\.', 'a\\tb'];
      const deltas = names.map((name, i) =>
        startDelta(1_000 + i)
          .set(name, { [`p${name}`]: `v${name}` })
          .build(),
      );
      expect((await store.append(deltas)).inserted).toEqual(deltas.map((d) => d.id));
      expect(await store.get(deltas.map((d) => d.id))).toEqual(deltas);
      for (const [i, name] of names.entries()) {
        const rows = await store.hyperview(name, { property: `p${name}` });
        expect(rows.map((row) => row.delta)).toEqual([deltas[i]]);
      }
      expect((await store.entities()).entities).toEqual(
        [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      expect(await store.counts()).toMatchObject({ deltas: names.length, entities: names.length });
    } finally {
      await store.close();
    }
  });
});

describeBackends(
  backends,
  'names made of COPY specials, in a batch of COPY size (%s)',
  (_name, open) => {
    it('stores and finds them verbatim', async () => {
      const store = await open();
      try {
        const names = [
          'tab\there',
          'new\nline',
          'cr\rhere',
          'back\\slash',
          '\\N',
          '\\.',
          'é\u{1F600}',
        ];
        const special = names.map((name, i) =>
          startDelta(1_000 + i)
            .set(name, { [`p${name}`]: `v\\${name}` })
            .build(),
        );
        // Padded past the size from which the server append goes by COPY.
        const deltas = [...createSmallDeltas(150, { entities: 15 }), ...special];
        expect((await store.append(deltas)).inserted).toEqual(deltas.map((d) => d.id));
        expect(await store.get(special.map((d) => d.id))).toEqual(special);
        for (const [i, name] of names.entries()) {
          const rows = await store.hyperview(name, { property: `p${name}` });
          expect(rows.map((row) => row.delta)).toEqual([special[i]]);
        }
        expect(await store.counts()).toMatchObject({ deltas: 157, entities: 15 + names.length });
        const feed = await readFeed(store);
        expect(feed.map((entry) => entry.delta)).toEqual(deltas);
      } finally {
        await store.close();
      }
    });
  },
);

describeBackends(backends, 'large appends in flight together (%s)', (_name, open) => {
  it('commit and report in call order', async () => {
    const store = await open();
    try {
      const heard: StoredDelta[] = [];
      store.onAppend((entries) => heard.push(...entries));
      const deltas = createSmallDeltas(1_200, { entities: 60 });
      const batches = [0, 1, 2, 3, 4, 5].map((i) => deltas.slice(i * 200, i * 200 + 200));
      const results = await Promise.all(batches.map((batch) => store.append(batch)));
      expect(results.map((result) => result.inserted)).toEqual(
        batches.map((batch) => batch.map((d) => d.id)),
      );
      const feed = await readFeed(store);
      expect(feed.map((entry) => entry.delta)).toEqual(deltas);
      expect(heard).toEqual(feed);
    } finally {
      await store.close();
    }
  });
});

describeBackends(backends, 'a large batch mixing stored and new deltas (%s)', (_name, open) => {
  it('stores only the new ones, in batch order, and counts them once', async () => {
    const store = await open();
    try {
      const deltas = createSmallDeltas(900, { entities: 90 });
      const stored = deltas.filter((_, i) => i % 3 === 0);
      expect((await store.append(stored)).inserted).toHaveLength(stored.length);
      // Stored ones spread through the batch, deltas[0] moved to the middle.
      const mixed = [...deltas.slice(1, 600), ...deltas.slice(0, 1), ...deltas.slice(600)];
      const result = await store.append(mixed);
      const fresh = mixed.filter((_, i) => deltas.indexOf(mixed[i]!) % 3 !== 0);
      expect(result.inserted).toEqual(fresh.map((d) => d.id));
      expect(result.duplicates).toHaveLength(stored.length);
      expect(await store.counts()).toMatchObject({ deltas: 900, entities: 90 });
      const feed = await readFeed(store);
      expect(feed.map((entry) => entry.delta.id)).toEqual([...stored, ...fresh].map((d) => d.id));
      // And again, now that the store has met duplicates.
      expect((await store.append(mixed)).inserted).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describeBackends(backends, 'onAppend after a large batch (%s)', (_name, open) => {
  it('reports the entries changes() reads back, seq and receivedAt included', async () => {
    const store = await open();
    try {
      const heard: StoredDelta[] = [];
      store.onAppend((entries) => heard.push(...entries));
      const deltas = createSmallDeltas(450, { entities: 45 });
      await store.append(deltas.slice(0, 150));
      await store.append(deltas.slice(100, 450));
      const feed = await readFeed(store);
      expect(feed).toHaveLength(450);
      expect(heard).toEqual(feed);
    } finally {
      await store.close();
    }
  });
});

describeWithPostgres('appends to one schema from several stores (PostgreSQL)', () => {
  it('stores each delta once, counts it once and numbers the feed in commit order', async () => {
    const schema = createTestSchemaName();
    const stores = [await openServerStore(schema), await openServerStore(schema)];
    try {
      const deltas = createSmallDeltas(2_800, { entities: 200 });
      // Overlapping windows, each store appending half of them, all at once.
      const windows = [0, 1, 2, 3, 4, 5].map((k) => deltas.slice(k * 400, k * 400 + 800));
      const results = await Promise.all(windows.map((batch, k) => stores[k % 2]!.append(batch)));
      const inserted = results.flatMap((result) => result.inserted);
      expect(inserted).toHaveLength(deltas.length);
      expect(new Set(inserted).size).toBe(deltas.length);
      results.forEach((result, k) =>
        expect(result.inserted.length + result.duplicates.length).toBe(windows[k]!.length),
      );

      const feed = await readFeed(stores[1]!);
      expect(feed.map((entry) => entry.delta.id).sort()).toEqual(deltas.map((d) => d.id).sort());
      const seqs = feed.map((entry) => entry.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

      for (const store of stores)
        expect(await store.counts()).toEqual({
          deltas: deltas.length,
          entities: 200,
          lastSeq: seqs.at(-1),
          newestTime: Math.max(...deltas.map((delta) => delta.timeCreated)),
        });
      const entity = await stores[0]!.hyperview('entity-7');
      expect(entity).toHaveLength(deltas.length / 200);
      // Appending everything again changes nothing.
      expect((await stores[0]!.append(deltas.slice(0, 1_000))).inserted).toEqual([]);
      expect((await stores[1]!.counts()).deltas).toBe(deltas.length);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

describeWithPostgres('migrating a store written before rhizome_totals (PostgreSQL)', () => {
  it('fills the entity list and the totals from the rows already there', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    // The migrations as they were before 0002: the same folder with a shorter journal.
    const folder = await mkdtemp(join(tmpdir(), 'rhizome-migrations-'));
    const sql = postgres(TEST_DATABASE_URL, {
      max: 1,
      onnotice: () => {},
      connection: { search_path: schema },
    });
    try {
      await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
      const journalPath = join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
        entries: { tag: string }[];
      };
      const index = journal.entries.findIndex((entry) => entry.tag.startsWith('0002_'));
      expect(index).toBeGreaterThan(0);
      journal.entries = journal.entries.slice(0, index);
      await writeFile(journalPath, JSON.stringify(journal));
      await sql.unsafe(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
      await migrate(drizzle(sql), {
        migrationsFolder: folder,
        migrationsTable: MIGRATIONS_TABLE,
        migrationsSchema: schema,
      });
      // Rows as the earlier store wrote them: two deltas at `a`, one negating the other.
      const [first, second] = createSmallDeltas(2, { entities: 1, prefix: 'a' });
      const negation = startDelta(1_800_000_000_000).negate(first!.id).build();
      const rows = [first!, second!, negation];
      for (const delta of rows) {
        const [row] = await sql<{ seq: string }[]>`
          INSERT INTO rhizome_deltas (id, body) VALUES (${delta.id}, ${JSON.stringify(delta)}::json)
          RETURNING seq`;
        const pointer = delta.pointers[0]!;
        const target = (pointer.target as { id: string }).id;
        await sql`
          INSERT INTO rhizome_pointers
            (target_id, target_context, time_created, delta_seq, position, local_context)
          VALUES (${target}, ${pointer.targetContext ?? null}, ${delta.timeCreated}, ${row!.seq},
                  0, ${pointer.localContext})`;
      }

      const store = await openServerStore(schema);
      try {
        // Migration 0004 finds the newest timeCreated among the rows already there.
        expect(await store.counts()).toEqual({
          deltas: 3,
          entities: 1,
          lastSeq: 3,
          newestTime: 1_800_000_000_000,
        });
        expect(await store.entities()).toEqual({ entities: ['a0'], cursor: null });
        const [third] = createSmallDeltas(1, { prefix: 'b', start: 1_900_000_000_000 });
        await store.append([third!, first!]);
        expect(await store.counts()).toEqual({
          deltas: 4,
          entities: 2,
          lastSeq: 4,
          newestTime: 1_900_000_000_000,
        });
        expect((await store.hyperview('a0')).map((row) => row.delta.id)).toEqual([
          first!.id,
          second!.id,
        ]);
      } finally {
        await store.close();
      }
    } finally {
      await sql.end({ timeout: 5 });
      await rm(folder, { recursive: true, force: true });
    }
  });
});
