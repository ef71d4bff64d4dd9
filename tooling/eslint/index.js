// Shared flat config. `createConfig({ layer })` adds the architectural rule for a package:
// the pure layers (core, views, plugins, sync and plugin packages) may never reach into
// storage, the API, the client or the server. Imports point one way; this rule keeps them so.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Packages a pure layer must never import. */
export const IMPURE_PACKAGES = [
  '@rhizome/storage-postgres',
  '@rhizome/storage-postgres/*',
  '@rhizome/api',
  '@rhizome/api/*',
  '@rhizome/client',
  '@rhizome/client/*',
  '@rhizome/server',
  '@rhizome/server/*',
  'drizzle-orm',
  'drizzle-orm/*',
  'postgres',
  '@electric-sql/pglite',
  '@electric-sql/pglite/*',
  'hono',
  'hono/*',
  '@trpc/server',
  '@trpc/server/*',
];

const IMPURE_MESSAGE =
  'Pure layers (core, views, plugins, sync) must not import storage, api, client or server: imports point one way.';

/**
 * @param {{ layer?: 'pure' | 'app' }} [options]
 */
export function createConfig(options = {}) {
  const layer = options.layer ?? 'app';
  const configs = [
    { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'drizzle/**', '.turbo/**'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
      rules: {
        '@typescript-eslint/no-unused-vars': [
          'error',
          { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
        ],
        '@typescript-eslint/consistent-type-imports': 'error',
        'no-console': 'off',
      },
    },
  ];
  if (layer === 'pure') {
    configs.push({
      files: ['src/**/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ group: IMPURE_PACKAGES, message: IMPURE_MESSAGE }] },
        ],
      },
    });
  }
  return tseslint.config(...configs);
}
