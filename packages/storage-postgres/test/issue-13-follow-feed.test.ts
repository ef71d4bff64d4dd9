import { createHash } from 'node:crypto';
import { createDeltaBuilder } from '@rhizome/core';
import type { DeltaStore, StoredDelta } from '@rhizome/storage';
import postgres from 'postgres';
import { afterAll, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import {
  TEST_DATABASE_URL,
  createTestSchemaName,
  describeWithPostgres,
  dropSchemas,
} from './support/postgres.ts';

// Issue 13 item 3: several processes over one PostgreSQL schema each hear every append, whichever
// process made it, in seq order, exactly once — also after their LISTEN connection drops.

const schemas: string[] = [];
const stores: DeltaStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await dropSchemas(schemas);
});

let lastSchema = '';
async function openPair(pollMs: number): Promise<[DeltaStore, DeltaStore]> {
  const schema = createTestSchemaName();
  lastSchema = schema;
  schemas.push(schema);
  const options = { url: TEST_DATABASE_URL, schema, max: 2, followPollMs: pollMs };
  const a = await openPostgresStore(options);
  const b = await openPostgresStore(options);
  stores.push(a, b);
  return [a, b];
}

function record(store: DeltaStore): StoredDelta[] {
  const heard: StoredDelta[] = [];
  store.onAppend((entries) => heard.push(...entries));
  return heard;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const builder = (creator: string) => createDeltaBuilder({ creator, host: creator });
const deltas = (creator: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) =>
    builder(creator)
      .set(`e${(from + i) % 5}`, { n: from + i })
      .build(),
  );

function expectWholeFeed(heard: readonly StoredDelta[], total: number): void {
  const seqs = heard.map((entry) => entry.seq);
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y)); // in seq order
  expect(new Set(heard.map((entry) => entry.delta.id)).size).toBe(heard.length); // once each
  expect(heard).toHaveLength(total);
}

describeWithPostgres('onAppend across store objects on one schema (PostgreSQL)', () => {
  it('reports the other store’s appends, interleaved with its own, in seq order and once', async () => {
    const [a, b] = await openPair(0); // notifications only: no poll to hide a missing NOTIFY
    const heardByA = record(a);
    const heardByB = record(b);
    // Small (single statement) and large (COPY) appends from both sides, some concurrent.
    await a.append(deltas('a', 0, 3));
    await Promise.all([b.append(deltas('b', 0, 150)), a.append(deltas('a', 3, 120))]);
    await b.append(deltas('b', 150, 2));
    const total = 3 + 150 + 120 + 2;
    await until(() => heardByA.length >= total && heardByB.length >= total, 'both feeds');
    expectWholeFeed(heardByA, total);
    expectWholeFeed(heardByB, total);
    expect(heardByA.map((entry) => entry.seq)).toEqual(heardByB.map((entry) => entry.seq));
    expect((await a.changes({ limit: 1000 })).entries.map((entry) => entry.seq)).toEqual(
      heardByA.map((entry) => entry.seq),
    );
  });

  it('catches up after its LISTEN connection is killed, from its own cursor', async () => {
    const [a, b] = await openPair(0);
    const heardByB = record(b);
    await a.append(deltas('a', 0, 2));
    await until(() => heardByB.length === 2, 'the first appends');
    const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      // Only this schema's listeners (the channel is derived from the schema name).
      const channel = `rhizome_feed_${createHash('md5').update(lastSchema).digest('hex').slice(0, 16)}`;
      const killed = await admin`
        SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
        WHERE datname = current_database() AND query ILIKE ${`listen %${channel}%`}`;
      expect(killed.length).toBeGreaterThan(0);
    } finally {
      await admin.end({ timeout: 5 });
    }
    // Written while B's listener is down: B reads them when it listens again.
    await a.append(deltas('a', 2, 3));
    await until(() => heardByB.length === 5, 'the appends made while B was not listening');
    await a.append(deltas('a', 5, 1));
    await until(() => heardByB.length === 6, 'an append after the reconnect');
    expectWholeFeed(heardByB, 6);
  });

  it('finds appends by polling when no notification comes (follow without LISTEN wake-ups)', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const base = { url: TEST_DATABASE_URL, schema, max: 2 };
    const writer = await openPostgresStore({ ...base, follow: false });
    const reader = await openPostgresStore({ ...base, followPollMs: 50 });
    stores.push(writer, reader);
    const heard = record(reader);
    // A writer that does not follow sends no NOTIFY: only the poll can find its appends.
    await writer.append(deltas('w', 0, 4));
    await until(() => heard.length === 4, 'the poll');
    expectWholeFeed(heard, 4);
  });
});
