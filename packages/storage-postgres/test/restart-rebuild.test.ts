import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasValidId } from '@rhizome/core';
import { replayStore } from '@rhizome/storage';
import { createViewStore } from '@rhizome/views';
import { viewScenarios } from '@rhizome/views/scenarios';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgliteStore } from '../src/pglite.ts';
import { loadPgliteTemplate } from './support/pglite.ts';

// On start a node rebuilds its view state from storage. Everything the scenario suite ingests,
// ingested through a store on disk, must give the same views after a restart as before it.
describe('restart', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('a restarted node rebuilds the same views from PGlite on disk', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rhizome-rebuild-'));
    dirs.push(dataDir);
    await (await loadPgliteTemplate()).seed(dataDir);
    const deltas = viewScenarios
      .flatMap((s) => s.steps.flatMap((step) => step.ingest))
      .filter((d) => hasValidId(d));
    const live = createViewStore();
    const before = await openPgliteStore({ dataDir });
    for (let i = 0; i < deltas.length; i += 17) {
      const batch = deltas.slice(i, i + 17);
      await before.append(batch);
      live.ingestMany(batch);
    }
    await before.close();

    const after = await openPgliteStore({ dataDir });
    try {
      const rebuilt = createViewStore();
      await replayStore(
        after,
        (entries) => void rebuilt.ingestMany(entries.map((entry) => entry.delta)),
        { pageSize: 50 },
      );
      const { entities } = await after.entities({ limit: 10_000 });
      expect(entities.length).toBeGreaterThan(10);
      for (const entity of entities) {
        expect(rebuilt.view(entity), entity).toEqual(live.view(entity));
        expect(rebuilt.view(entity, { asOf: 3 }), entity).toEqual(live.view(entity, { asOf: 3 }));
      }
    } finally {
      await after.close();
    }
  });
});
