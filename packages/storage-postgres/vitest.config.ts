import { createProject } from '@rhizome/vitest-config';

export default createProject('storage-postgres', {
  testTimeout: 60_000,
  globalSetup: ['./test/support/global-setup.ts'],
});
