// Issue 13 item 5: a node can start against a database it may only read (what a read replica
// offers: here a role whose transactions are read-only, as on a hot standby) and serve reads;
// writes are refused with STORAGE_READ_ONLY and change nothing.
import { createOpenPrincipal, createRhizomeNode } from '@rhizome/node';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  createTestSchemaName,
  describeWithPostgres,
  dropSchemas,
} from './support/postgres.ts';

describeWithPostgres('a node over a read-only database', () => {
  const schema = createTestSchemaName();
  const role = `${schema}_ro`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  beforeAll(async () => {
    await assertTestDatabaseReachable();
    const writer = await createRhizomeNode({
      store: await openPostgresStore({ url: TEST_DATABASE_URL, schema, follow: false }),
      nodeId: 'writer',
    });
    await writer.putProperties('ada', { name: 'Ada' }, createOpenPrincipal('alice'));
    await writer.close();
    await admin.unsafe(`CREATE ROLE "${role}" LOGIN`);
    await admin.unsafe(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
    await admin.unsafe(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
    await admin.unsafe(`ALTER ROLE "${role}" SET default_transaction_read_only = on`);
  });
  afterAll(async () => {
    await dropSchemas([schema]);
    await admin.unsafe(`DROP OWNED BY "${role}"`).catch(() => {});
    await admin.unsafe(`DROP ROLE IF EXISTS "${role}"`);
    await admin.end();
  });

  it('starts, serves views, and refuses writes with STORAGE_READ_ONLY', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.username = role;
    url.password = '';
    const store = await openPostgresStore({ url: url.href, schema });
    const node = await createRhizomeNode({ store, nodeId: 'reader' });
    try {
      expect(await node.view('ada')).toEqual({ id: 'ada', name: 'Ada' });
      await expect(
        node.putProperties('bob', { name: 'Bob' }, createOpenPrincipal('alice')),
      ).rejects.toMatchObject({ code: 'STORAGE_READ_ONLY' });
      expect((await node.status()).deltas).toBe(1);
    } finally {
      await node.close();
    }
  });
});
