import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { createPgliteTemplate, type PgliteTemplate } from '../../src/pglite.ts';

/** The migrated template the global setup dumped once for the whole test run. */
export async function loadPgliteTemplate(): Promise<PgliteTemplate> {
  return createPgliteTemplate(new Blob([await readFile(inject('pgliteTemplatePath'))]));
}
