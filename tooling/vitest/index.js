// Shared vitest project preset: every package's tests live next to the code (src/**/*.test.ts)
// or, for cross-package and end-to-end tests, under test/.
import { defineProject } from 'vitest/config';

/**
 * @param {string} name project name shown by vitest
 * @param {import('vitest/config').UserWorkspaceConfig['test']} [overrides]
 */
export function createProject(name, overrides = {}) {
  return defineProject({
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 20_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  });
}
