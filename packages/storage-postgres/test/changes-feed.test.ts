import type { StoredDelta } from '@rhizome/storage';
import { createSmallDeltas } from '@rhizome/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeWithPostgres,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

// Two writers on one database, and a reader following the changes feed while they write. Without
// the append lock, a batch that took its sequence numbers first but committed last would be
// stepped over by the reader's cursor and never delivered.
describeWithPostgres('changes feed under concurrent writers (PostgreSQL)', () => {
  const schemas: string[] = [];
  beforeAll(assertTestDatabaseReachable);
  afterAll(() => dropSchemas(schemas));

  it('delivers every delta exactly once to a reader polling during the writes', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const options = { url: TEST_DATABASE_URL, schema, max: 2 };
    const [writerA, writerB, reader] = await Promise.all([
      openPostgresStore(options),
      openPostgresStore(options),
      openPostgresStore(options),
    ]);
    try {
      const deltas = createSmallDeltas(2_400, { entities: 50 });
      const write = async (store: typeof writerA, offset: number) => {
        for (let i = offset; i < deltas.length; i += 200)
          await store.append(deltas.slice(i, i + 100));
      };
      let writing = true;
      const writes = Promise.all([write(writerA, 0), write(writerB, 100)]).finally(
        () => (writing = false),
      );

      const seen: StoredDelta[] = [];
      let cursor = 0;
      while (writing || seen.length < deltas.length) {
        // Only a page read after the writers finished may end the loop: a page whose snapshot
        // predates the last commit says nothing about it, even if `writing` flips meanwhile.
        const writersDone = !writing;
        const page = await reader.changes({ after: cursor, limit: 137 });
        seen.push(...page.entries);
        cursor = page.cursor;
        if (writersDone && !page.hasMore && seen.length < deltas.length) break;
      }
      await writes;
      const ids = seen.map((entry) => entry.delta.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(deltas.map((d) => d.id).sort());
    } finally {
      await Promise.all([writerA.close(), writerB.close(), reader.close()]);
    }
  });
});
