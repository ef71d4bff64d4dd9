import { createConfig } from '@rhizome/eslint-config';
import tseslint from 'typescript-eslint';

// A plugin package is written against the public contracts only: it may import *types* from
// @rhizome/core and @rhizome/plugins, never their runtime, so any host version satisfying the
// peer range can load it.
export default tseslint.config(...createConfig({ layer: 'pure' }), {
  files: ['src/**/*.ts'],
  ignores: ['src/**/*.test.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['@rhizome/*', '!@rhizome/core', '!@rhizome/plugins'],
            message:
              'A plugin package depends only on the public contracts (@rhizome/core, @rhizome/plugins).',
          },
          {
            group: ['@rhizome/core', '@rhizome/plugins'],
            allowTypeImports: true,
            message:
              'Import only types from the contracts, so the plugin carries no copy of the host runtime.',
          },
        ],
      },
    ],
  },
});
