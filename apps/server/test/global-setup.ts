import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { probeBuild, probeRequirements } from '@rhizome/vitest-config/requirements';
import type { TestProject } from 'vitest/node';

const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

// Which of the server tests' outside needs this machine has: a PostgreSQL server, a Chromium,
// and the built server (`pnpm build`, newer than the server's and the packages' sources) for the
// tests of the production start.
export default async function setup(project: TestProject): Promise<void> {
  await probeRequirements(project, ['postgres', 'chromium']);
  const sources = [
    repo('apps/server/src'),
    repo('apps/server/explorer'),
    ...readdirSync(repo('packages')).map((name) => repo(`packages/${name}/src`)),
  ];
  probeBuild(project, repo('apps/server/dist/main.js'), sources);
}
