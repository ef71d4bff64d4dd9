import { createProject } from '@rhizome/vitest-config';

// The lint preset's own tests sit next to it (index.test.ts), not under src/.
export default createProject('eslint-config', { include: ['*.test.ts'] });
