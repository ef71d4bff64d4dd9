import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createSmallDeltas } from '@rhizome/testkit';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { openPgliteStore } from '../src/pglite.ts';
import {
  isFreshDataDir,
  loadPgliteSnapshot,
  writePgliteSnapshot,
  type PgliteSnapshotFiles,
  type PgliteSnapshotMeta,
} from '../src/pglite-snapshot.ts';

// `pnpm build` writes the snapshot a fresh data directory is unpacked from; here a test copy of
// it is written from the run's migrated template, exactly as the build script writes its own.
describe('PGlite snapshot for fresh data directories', () => {
  let dir: string;
  let files: PgliteSnapshotFiles;
  let meta: PgliteSnapshotMeta;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rhizome-snapshot-'));
    files = { tarball: join(dir, 'snapshot.tar.gz'), meta: join(dir, 'snapshot.json') };
    meta = await writePgliteSnapshot(
      new Blob([await readFile(inject('pgliteTemplatePath'))]),
      files,
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A data directory unpacked from the snapshot, then opened the way the server opens one. */
  async function seed(name: string) {
    const dataDir = join(dir, name);
    expect(isFreshDataDir(dataDir)).toBe(true);
    const loadDataDir = await loadPgliteSnapshot(files);
    expect(loadDataDir).toBeInstanceOf(Blob);
    await (await PGlite.create({ dataDir, loadDataDir: loadDataDir! })).close();
    expect(isFreshDataDir(dataDir)).toBe(false);
    return dataDir;
  }

  it('gives a working, durable store, and each data directory its own feed id', async () => {
    const first = await seed('a');
    const second = await seed('b');
    const a = await openPgliteStore({ dataDir: first });
    const b = await openPgliteStore({ dataDir: second });
    try {
      await a.append(createSmallDeltas(3));
      expect((await a.counts()).deltas).toBe(3);
      expect((await b.counts()).deltas).toBe(0);
      // The feed id is made on first use, never baked into the snapshot.
      expect(await a.feedId()).not.toBe(await b.feedId());
    } finally {
      await a.close();
      await b.close();
    }
    const reopened = await openPgliteStore({ dataDir: first });
    try {
      expect((await reopened.counts()).deltas).toBe(3);
    } finally {
      await reopened.close();
    }
  });

  it('is not used when it was made by another PGlite version or from other migrations', async () => {
    const tampered = async (changed: PgliteSnapshotMeta) => {
      const metaFile = join(dir, `tampered-${Math.random()}.json`);
      await writeFile(metaFile, JSON.stringify(changed));
      return loadPgliteSnapshot({ tarball: files.tarball, meta: metaFile });
    };
    expect(await tampered({ ...meta, pglite: '0.0.1' })).toBeUndefined();
    const [head, ...rest] = meta.migrations;
    expect(
      await tampered({ ...meta, migrations: [{ ...head!, sha256: '0'.repeat(64) }, ...rest] }),
    ).toBeUndefined();
    // A snapshot older than the newest migration is still used: the rest are applied on open.
    expect(await tampered({ ...meta, migrations: meta.migrations.slice(0, 1) })).toBeInstanceOf(
      Blob,
    );
    expect(
      await loadPgliteSnapshot({ tarball: join(dir, 'missing.tar.gz'), meta: files.meta }),
    ).toBeUndefined();
  });
});
