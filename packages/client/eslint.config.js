import { createConfig } from '@rhizome/eslint-config';

export default [
  ...createConfig({ layer: 'app' }),
  {
    // Only the router's type may reach the client: no server code in a browser bundle.
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@rhizome/api',
              message: 'import only types from @rhizome/api',
              allowTypeImports: true,
            },
          ],
          patterns: [
            {
              group: ['@trpc/server', '@trpc/server/*'],
              message: 'the client needs no server code',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
];
