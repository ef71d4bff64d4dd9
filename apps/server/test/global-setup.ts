import { probeRequirements } from '@rhizome/vitest-config/requirements';
import type { TestProject } from 'vitest/node';

// Which of the server tests' outside needs this machine has: a PostgreSQL server, a Chromium.
export default async function setup(project: TestProject): Promise<void> {
  await probeRequirements(project, ['postgres', 'chromium']);
}
