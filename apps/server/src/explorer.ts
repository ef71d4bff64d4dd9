import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { ServerEnv } from './rest/env.ts';

/** The Explorer's sources: `index.html`, `style.css` and the browser code under `src/`. */
export const EXPLORER_DIR = fileURLToPath(new URL('../explorer/', import.meta.url));

/** The Explorer's script as `pnpm build` writes it (next to the built server's modules). */
export const EXPLORER_BUNDLE_FILE = fileURLToPath(new URL('./explorer/app.js', import.meta.url));

/**
 * The Explorer's script: read from the build when the server runs built, bundled from the
 * sources with esbuild when it runs from them (`pnpm start`, tests), so an edit shows on reload.
 */
async function loadExplorerScript(): Promise<string> {
  if (!import.meta.url.endsWith('.ts')) return readFile(EXPLORER_BUNDLE_FILE, 'utf8');
  // Not a literal: the bundler (and esbuild, a build tool) stays out of the built server.
  const bundler = './explorer-bundle.ts';
  const { bundleExplorer } = (await import(bundler)) as { bundleExplorer(): Promise<string> };
  return bundleExplorer();
}

const NO_CACHE = { 'cache-control': 'no-cache' };

/**
 * The Explorer web app at `/`: the page, its stylesheet and its script (loaded on the first
 * request and kept in memory; a failed load is retried on the next request).
 */
export function createExplorerRoutes(): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();
  let script: Promise<string> | undefined;
  const load = (): Promise<string> => {
    script ??= loadExplorerScript().catch((error: unknown) => {
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
