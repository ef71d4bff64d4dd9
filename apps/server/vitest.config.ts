import { createProject } from '@rhizome/vitest-config';

export default createProject('server', { globalSetup: ['./test/global-setup.ts'] });
