import { createConfig } from '@rhizome/eslint-config';

export default [
  ...createConfig({ layer: 'app' }),
  {
    // The engine embeds in any process: no RPC framework, no HTTP, no particular backend.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@trpc/*',
                'hono',
                'hono/*',
                '@hono/*',
                '@rhizome/api',
                '@rhizome/api/*',
                '@rhizome/server',
                '@rhizome/storage-postgres',
                '@rhizome/storage-postgres/*',
              ],
              message:
                '@rhizome/node is the engine: it takes a DeltaStore and knows nothing of tRPC, HTTP or a backend.',
            },
          ],
        },
      ],
    },
  },
];
