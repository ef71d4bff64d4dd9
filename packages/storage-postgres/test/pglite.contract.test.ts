import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDeltaStoreContract } from '@rhizome/testkit';
import { afterAll, beforeAll } from 'vitest';
import { openPgliteStore, type PgliteTemplate } from '../src/pglite.ts';
import { loadPgliteTemplate } from './support/pglite.ts';

// Migrate once, clone per test: a clone is an in-memory copy, far cheaper than initdb + migrate.
let template: PgliteTemplate;
const dirs: string[] = [];

beforeAll(async () => {
  template = await loadPgliteTemplate();
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeDeltaStoreContract(
  'PGlite',
  async () => ({
    store: await openPgliteStore({ pglite: await template.clone(), migrate: false }),
  }),
  {
    // A restart needs the data on disk, as a node keeps it.
    createRestartableStore: async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'rhizome-pglite-'));
      dirs.push(dataDir);
      await template.seed(dataDir);
      return {
        store: await openPgliteStore({ dataDir }),
        reopen: () => openPgliteStore({ dataDir }),
      };
    },
  },
);
