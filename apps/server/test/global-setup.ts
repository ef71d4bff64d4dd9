import { fileURLToPath } from 'node:url';
import { probeBuild, probeRequirements } from '@rhizome/vitest-config/requirements';
import type { TestProject } from 'vitest/node';

// Which of the server tests' outside needs this machine has: a PostgreSQL server, a Chromium,
// and the built server (`pnpm build`) for the tests of the production start.
export default async function setup(project: TestProject): Promise<void> {
  await probeRequirements(project, ['postgres', 'chromium']);
  probeBuild(project, fileURLToPath(new URL('../dist/main.js', import.meta.url)));
}
