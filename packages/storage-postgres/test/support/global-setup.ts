import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeRequirements } from '@rhizome/vitest-config/requirements';
import type { TestProject } from 'vitest/node';
import { dumpMigratedPglite } from '../../src/pglite.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a migrated, empty PGlite data directory (see test/support/pglite.ts). */
    pgliteTemplatePath: string;
  }
}

// Migrating PGlite costs seconds; do it once for the whole run, not once per test file.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await probeRequirements(project, ['postgres']);
  const dir = await mkdtemp(join(tmpdir(), 'rhizome-pglite-template-'));
  const path = join(dir, 'template.tar');
  const dump = await dumpMigratedPglite();
  await writeFile(path, new Uint8Array(await dump.arrayBuffer()));
  project.provide('pgliteTemplatePath', path);
  return () => rm(dir, { recursive: true, force: true });
}
