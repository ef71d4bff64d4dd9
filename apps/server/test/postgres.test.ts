import { createClient } from '@rhizome/client';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.ts';
import { silentLogger, testConfig, TOKENS } from './helpers.ts';

// Fails (never skips) when PostgreSQL is down, like the storage-postgres suite.
const DATABASE_URL =
  process.env.RHIZOME_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `server_test_${process.pid}_${Date.now()}`;

describe('on real PostgreSQL', () => {
  afterAll(async () => {
    const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end();
  });

  it('stores through the server and reads back after a restart', async () => {
    const config = testConfig({ DATABASE_URL, RHIZOME_DATABASE_SCHEMA: schema });
    const first = await startServer(config, { logger: silentLogger });
    const { id } = await createClient({ url: first.url, token: TOKENS.alice }).entities.put.mutate({
      id: 'pg',
      properties: { backend: 'postgres' },
    });
    await first.close();

    const second = await startServer(config, { logger: silentLogger });
    try {
      const reader = createClient({ url: second.url, token: TOKENS.reader });
      expect(await reader.entities.get.query({ id: 'pg' })).toEqual({
        id: 'pg',
        backend: 'postgres',
      });
      expect((await reader.deltas.get.query({ id })).creator).toBe('alice');
    } finally {
      await second.close();
    }
  });
});
