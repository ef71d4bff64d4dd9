import { createClient } from '@rhizome/client';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startServer } from '../src/server.ts';
import { silentLogger, testConfig, TOKENS } from './helpers.ts';

// The run's PostgreSQL (test/global-setup.ts), or null: the suite is then skipped.
const DATABASE_URL = inject('postgres') ?? '';
const schema = `server_test_${process.pid}_${Date.now()}`;

describe.skipIf(DATABASE_URL === '')('on real PostgreSQL', () => {
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
