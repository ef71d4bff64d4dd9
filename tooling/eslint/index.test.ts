// Proves the layering rule fires: a pure layer importing storage, api, client or server is a
// lint error, while an app-layer package may import them.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { createConfig, IMPURE_PACKAGES } from './index.js';

const cwd = import.meta.dirname;

async function lint(layer: 'pure' | 'app', code: string, filePath = 'src/example.ts') {
  const eslint = new ESLint({ cwd, overrideConfigFile: true, overrideConfig: createConfig({ layer }) });
  const [result] = await eslint.lintText(code, { filePath: `${cwd}/${filePath}` });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports');
}

describe('createConfig layering rule', () => {
  it('rejects a storage import in a pure layer', async () => {
    const messages = await lint('pure', "import { createStore } from '@rhizome/storage-postgres';\nexport const store = createStore;\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ ruleId: 'no-restricted-imports', severity: 2, line: 1 });
    expect(messages[0]!.message).toMatch(/Pure layers .* must not import storage/);
  });

  it('rejects subpaths, type-only imports, re-exports and every listed package', async () => {
    const code = [
      "import { createPglite } from '@rhizome/storage-postgres/pglite';",
      "import type { AppRouter } from '@rhizome/api';",
      "export { createClient } from '@rhizome/client';",
      "import { Hono } from 'hono';",
      "import { eq } from 'drizzle-orm';",
      'export const used = [createPglite, Hono, eq];',
      'export type Router = AppRouter;',
    ].join('\n');
    const messages = await lint('pure', code);
    expect(messages.map((message) => message.line)).toEqual([1, 2, 3, 4, 5]);
    expect(IMPURE_PACKAGES).toEqual(expect.arrayContaining(['@rhizome/storage-postgres', '@rhizome/api', '@rhizome/server']));
  });

  it('allows pure imports in a pure layer', async () => {
    const messages = await lint('pure', "import { createDelta } from '@rhizome/core';\nimport { z } from 'zod';\nexport const used = [createDelta, z];\n");
    expect(messages).toEqual([]);
  });

  it('does not fire in an app layer (the server may import storage)', async () => {
    const messages = await lint('app', "import { createStore } from '@rhizome/storage-postgres';\nexport const store = createStore;\n");
    expect(messages).toEqual([]);
  });

  it('applies to src/ only, where the shipped code lives', async () => {
    const messages = await lint('pure', "import { createStore } from '@rhizome/storage-postgres';\nexport const store = createStore;\n", 'test/integration.test.ts');
    expect(messages).toEqual([]);
  });
});
