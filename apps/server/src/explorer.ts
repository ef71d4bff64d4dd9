import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Hono } from 'hono';
import type { ServerEnv } from './rest/env.ts';

/** The Explorer's sources: `index.html`, `style.css` and the browser code under `src/`. */
export const EXPLORER_DIR = fileURLToPath(new URL('../explorer/', import.meta.url));

/**
 * Bundles the Explorer's browser code (and `@rhizome/client` with its dependencies) into one ES
 * module. Runs esbuild in memory, so `pnpm start` serves the page with no build step of its own.
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

const NO_CACHE = { 'cache-control': 'no-cache' };

/**
 * The Explorer web app at `/`: the page, its stylesheet and its script (bundled on the first
 * request and kept in memory; a failed bundle is retried on the next request).
 */
export function createExplorerRoutes(): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();
  let script: Promise<string> | undefined;
  const load = (): Promise<string> => {
    script ??= bundleExplorer().catch((error: unknown) => {
      script = undefined;
      throw error;
    });
    return script;
  };

  routes.get('/', async (c) =>
    c.html(await readFile(`${EXPLORER_DIR}index.html`, 'utf8'), 200, NO_CACHE),
  );
  routes.get('/explorer/style.css', async (c) =>
    c.body(await readFile(`${EXPLORER_DIR}style.css`, 'utf8'), 200, {
      ...NO_CACHE,
      'content-type': 'text/css; charset=utf-8',
    }),
  );
  routes.get('/explorer/app.js', async (c) =>
    c.body(await load(), 200, {
      ...NO_CACHE,
      'content-type': 'text/javascript; charset=utf-8',
    }),
  );
  return routes;
}
