import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@rhizome/client';
import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPluginSnapshots } from '../src/plugin-snapshots.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { eventually, silentLogger, testConfig, TOKENS } from './helpers.ts';

// Issue 15 item 14: a hot reload loads the new code of the whole plugin package, not only its
// entry file, whether the plugin is given by path or by package name.

const ENTRY = `import { factor } from './lib/factor.mjs';
export const version = '1.0.0';
const score = (options) => ({
  name: 'test/score',
  version,
  property: options.property,
  reads: options.reads ?? [options.property],
  usesDependenciesInUpdate: false,
  initialize: () => ({ sum: 0 }),
  update(state, value) { if (typeof value === 'number') state.sum += value; return state; },
  remove(state, value) { if (typeof value === 'number') state.sum -= value; return state; },
  resolve: (state) => state.sum * factor(),
});
export const plugins = { score };
`;

/** The helper the entry imports: the only file that changes between versions. */
const helper = (factor: number) =>
  `import { base } from './base.mjs';\nexport const factor = () => base * ${factor};\n`;

async function writePackage(dir: string, name: string): Promise<void> {
  await mkdir(join(dir, 'lib'), { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.mjs' }),
  );
  await writeFile(join(dir, 'index.mjs'), ENTRY);
  await writeFile(join(dir, 'lib', 'base.mjs'), 'export const base = 1;\n');
  await writeFile(join(dir, 'lib', 'factor.mjs'), helper(1));
}

let dir: string;
const servers: RunningServer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-plugin-reload-'));
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(plugin: string, cwd: string): Promise<RunningServer> {
  const server = await startServer(
    { ...testConfig({ RHIZOME_PLUGINS: plugin }), cwd },
    { logger: silentLogger, store: createMemoryStore() },
  );
  servers.push(server);
  const admin = createClient({ url: server.url, token: TOKENS.admin });
  await admin.schemas.put.mutate({
    name: 'game',
    schema: { properties: { score: { kind: 'number', resolver: { custom: `${plugin}#score` } } } },
  });
  const alice = createClient({ url: server.url, token: TOKENS.alice });
  await alice.entities.put.mutate({ id: 'g1', properties: { score: 2 } });
  await alice.entities.put.mutate({ id: 'g1', properties: { score: 3 } });
  return server;
}

async function scoreOn(server: RunningServer): Promise<unknown> {
  const alice = createClient({ url: server.url, token: TOKENS.alice });
  return ((await alice.entities.get.query({ id: 'g1', schema: 'game' })) as { score?: unknown })
    .score;
}

describe('plugin hot reload', () => {
  it('by path: a changed helper file is loaded, on reload and when the watcher sees it', async () => {
    const pkg = join(dir, 'by-path');
    await writePackage(pkg, 'score-by-path');
    const entry = join(pkg, 'index.mjs');
    const server = await start(entry, dir);
    expect(await scoreOn(server)).toBe(5);

    await writeFile(join(pkg, 'lib', 'factor.mjs'), helper(10));
    await server.plugins.reload(entry);
    expect(await scoreOn(server)).toBe(50);

    // A file two imports away from the entry, picked up by the watcher on its own.
    await writeFile(join(pkg, 'lib', 'base.mjs'), 'export const base = 3;\n');
    await eventually(async () => ((await scoreOn(server)) === 150 ? true : undefined), 'reload');

    // Only the copy in use is kept next to the package.
    const snapshots = join(pkg, 'node_modules', '.rhizome-reload');
    await eventually(async () => ((await readdir(snapshots)).length === 1 ? true : undefined), '1');
  });

  it('by package name: the whole installed package is loaded again', async () => {
    const app = join(dir, 'app');
    await writePackage(join(app, 'node_modules', 'score-named'), 'score-named');
    const server = await start('score-named', app);
    expect(await scoreOn(server)).toBe(5);
    await writeFile(join(app, 'node_modules', 'score-named', 'lib', 'factor.mjs'), helper(7));
    await server.plugins.reload('score-named');
    expect(await scoreOn(server)).toBe(35);
    await writeFile(join(app, 'node_modules', 'score-named', 'lib', 'factor.mjs'), helper(8));
    await server.plugins.reload('score-named');
    expect(await scoreOn(server)).toBe(40);

    // A new version that fails to load changes nothing, and its copy is removed.
    await writeFile(join(app, 'node_modules', 'score-named', 'lib', 'factor.mjs'), 'export {');
    await expect(server.plugins.reload('score-named')).rejects.toMatchObject({
      code: 'PLUGIN_LOAD_FAILED',
    });
    expect(await scoreOn(server)).toBe(40);
    const snapshots = join(app, 'node_modules', 'score-named', 'node_modules', '.rhizome-reload');
    const inUse = await readdir(snapshots);
    expect(inUse).toHaveLength(1);

    // Closing the node removes the copy it used.
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    expect(existsSync(join(snapshots, inUse[0]!))).toBe(false);
  });

  it('refuses, saying why, to copy a "package" larger than a plugin should be', async () => {
    const pkg = join(dir, 'too-big');
    await writePackage(pkg, 'too-big');
    const snapshots = createPluginSnapshots({ maxFiles: 3, maxBytes: 1024 * 1024 });
    const error = await snapshots.take('too-big', join(pkg, 'index.mjs')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PLUGIN_LOAD_FAILED' });
    expect((error as Error).message).toMatch(/cannot hot-reload "too-big": .* more than 3 files/);
    expect(existsSync(join(pkg, 'node_modules'))).toBe(false);
  });
});
