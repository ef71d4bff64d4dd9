import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeltaStore } from '@rhizome/storage';
import { replayStore } from '@rhizome/storage';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import { openPgliteStore } from '../src/pglite.ts';
import { loadPgliteTemplate } from './support/pglite.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeWithPostgres,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/ingest-child.ts', import.meta.url));

/**
 * Runs the ingesting child, SIGKILLs it once it has acknowledged at least `minAcks` ids (so the
 * kill lands in the middle of later batches) and returns every id it acknowledged.
 */
function ingestThenKill(args: string[], minAcks: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
      if (!killed && acked.length >= minAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve(acked);
      else
        reject(new Error(`ingest child exited early (code ${code}, signal ${signal}):\n${stderr}`));
    });
  });
}

async function checkSurvivors(store: DeltaStore, acked: readonly string[]): Promise<void> {
  const found = await store.get(acked);
  expect(found.length).toBe(acked.length);
  const stored: string[] = [];
  await replayStore(store, (entries) => void stored.push(...entries.map((e) => e.delta.id)));
  // Whole batches or nothing: the child writes batches of 50 new deltas.
  expect(stored.length % 50).toBe(0);
  expect(stored.length).toBeGreaterThanOrEqual(acked.length);
  expect(new Set(stored).size).toBe(stored.length);
  expect((await store.counts()).deltas).toBe(stored.length);
}

describeWithPostgres('durability: every acknowledged delta survives kill -9', () => {
  const dirs: string[] = [];
  const schemas: string[] = [];
  beforeAll(assertTestDatabaseReachable);
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    await dropSchemas(schemas);
  });

  it('PGlite on disk', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rhizome-durability-'));
    dirs.push(dataDir);
    // Seeded here so the child spends its time ingesting, not running initdb.
    const template = await loadPgliteTemplate();
    await template.seed(dataDir);
    const acked = await ingestThenKill(['pglite', dataDir], 400);
    expect(acked.length).toBeGreaterThanOrEqual(400);
    const store = await openPgliteStore({ dataDir });
    try {
      await checkSurvivors(store, acked);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL server', async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    const acked = await ingestThenKill(['postgres', TEST_DATABASE_URL, schema], 1_000);
    const store = await openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 2 });
    try {
      await checkSurvivors(store, acked);
    } finally {
      await store.close();
    }
  });
});
