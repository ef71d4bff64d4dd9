// Issue 14, defect 5 on real PostgreSQL: the invalid-entity pages come from the store's
// `entities({ properties })` in SQL, through the typed client, paged by the scan bound.
import { createClient } from '@rhizome/client';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startServer } from '../src/server.ts';
import { silentLogger, testConfig, TOKENS } from './helpers.ts';

// The run's PostgreSQL (test/global-setup.ts), or null: the suite is then skipped.
const DATABASE_URL = inject('postgres') ?? '';
const schema = `validate_test_${process.pid}_${Date.now()}`;

describe.skipIf(DATABASE_URL === '')('validation on real PostgreSQL', () => {
  afterAll(async () => {
    const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end();
  });

  it('lists the invalid entities page by page', async () => {
    const server = await startServer(
      testConfig({ DATABASE_URL, RHIZOME_DATABASE_SCHEMA: schema, RHIZOME_VALIDATE_MAX_SCAN: '7' }),
      { logger: silentLogger },
    );
    try {
      const admin = createClient({ url: server.url, token: TOKENS.admin });
      const alice = createClient({ url: server.url, token: TOKENS.alice });
      await admin.schemas.put.mutate({
        name: 'item',
        schema: {
          properties: {
            title: { kind: 'string', resolver: 'lww', required: true },
            price: { kind: 'number', resolver: 'lww' },
          },
        },
      });
      // 30 items; every third has no title. Entities with other properties only are not items.
      for (let i = 0; i < 30; i++) {
        const id = `i${String(i).padStart(2, '0')}`;
        await alice.entities.put.mutate({
          id,
          properties: i % 3 === 0 ? { price: i } : { title: id, price: i },
        });
        await alice.entities.put.mutate({ id: `other${i}`, properties: { colour: 'red' } });
      }
      const reader = createClient({ url: server.url, token: TOKENS.reader });
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await reader.schemas.invalid.query({
          name: 'item',
          ...(cursor === undefined ? {} : { cursor }),
        });
        pages++;
        expect(page.scanned).toBeLessThanOrEqual(7);
        for (const report of page.reports) {
          expect(report.problems).toEqual([{ property: 'title', code: 'MISSING' }]);
          ids.push(report.id);
        }
        if (page.cursor === null) break;
        cursor = page.cursor;
      }
      expect(ids).toEqual(
        Array.from({ length: 10 }, (_, i) => `i${String(i * 3).padStart(2, '0')}`),
      );
      expect(pages).toBe(5);
    } finally {
      await server.close();
    }
  });
});
