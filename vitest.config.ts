import { defineConfig } from 'vitest/config';

// One `vitest run` at the root runs every package's project.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tooling/*/vitest.config.ts'],
  },
});
