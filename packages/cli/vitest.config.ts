import { createProject } from '@rhizome/vitest-config';

// Each test spawns the CLI (node + tsx) several times; give the slow ones room on a shared machine.
export default createProject('cli', { testTimeout: 60_000 });
