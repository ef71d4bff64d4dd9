import { createConfig } from '@rhizome/eslint-config';

export default [
  ...createConfig({ layer: 'app' }),
  {
    // The router must run under any tRPC adapter: HTTP frameworks belong to apps/server.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'hono',
                'hono/*',
                '@hono/*',
                '@rhizome/server',
                '@rhizome/storage-postgres',
                '@rhizome/storage-postgres/*',
              ],
              message:
                '@rhizome/api has no HTTP framework and no storage backend: the server wires those in.',
            },
          ],
        },
      ],
    },
  },
];
