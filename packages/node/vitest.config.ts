import { createProject } from '@rhizome/vitest-config';

export default createProject('node');
