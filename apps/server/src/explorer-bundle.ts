import { build } from 'esbuild';
import { EXPLORER_DIR } from './explorer.ts';

/**
 * Bundles the Explorer's browser code (and `@rhizome/client` with its dependencies) into one ES
 * module. `pnpm build` writes it to `dist/explorer/app.js`; running from source, the server
 * bundles it in memory on the first request instead. esbuild is a build tool, not a dependency
 * of the built server.
 */
export async function bundleExplorer(): Promise<string> {
  const result = await build({
    entryPoints: [`${EXPLORER_DIR}src/main.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    // `#sha256` and friends pick their browser variant.
    conditions: ['browser', 'import', 'default'],
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output for the Explorer');
  return output.text;
}
