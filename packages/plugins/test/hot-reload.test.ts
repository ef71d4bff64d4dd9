import { isRhizomeError } from '@rhizome/core';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginRegistry, PluginErrorCode, type ResolverConfig } from '../src/index.ts';
import { negate, set } from './support/deltas.ts';
import { createViewStore, defineSchema } from '@rhizome/views';

const PACKAGE = 'rhizome-plugin-shout';

/** A real plugin package on disk: last-write-wins of a string, decorated per version. */
function writeVersion(root: string, version: string, decorate: string): void {
  const directory = join(root, 'node_modules', PACKAGE);
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    join(directory, 'package.json'),
    JSON.stringify({
      name: PACKAGE,
      version,
      type: 'module',
      main: './index.js',
      exports: { '.': './index.js' },
    }),
  );
  writeFileSync(
    join(directory, 'index.js'),
    `export const version = ${JSON.stringify(version)};
const shout = (options) => ({
  name: '${PACKAGE}/shout',
  version,
  property: options.property,
  reads: options.reads ?? [options.property],
  initialize: () => ({ time: -Infinity, id: '', value: undefined }),
  update(state, value, delta) {
    const later = delta.timeCreated > state.time || (delta.timeCreated === state.time && delta.id > state.id);
    return later ? { time: delta.timeCreated, id: delta.id, value } : state;
  },
  resolve: (state) => (typeof state.value === 'string' ? ${decorate} : undefined),
});
export const plugins = { shout };
`,
  );
}

const config: ResolverConfig = {
  plugins: [
    { property: 'greeting', package: PACKAGE, plugin: 'shout' },
    {
      property: 'visits',
      package: '@rhizome/plugins',
      plugin: 'count',
      options: { reads: ['visit'] },
    },
  ],
};

describe('plugin registry', () => {
  let root: string;
  let location: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rhizome-plugins-'));
    writeVersion(root, '1.0.0', "state.value.toUpperCase() + '!'");
    // Resolve by package name, as Node would from an app in `root`.
    location = pathToFileURL(createRequire(join(root, 'app.js')).resolve(PACKAGE)).href;
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('loads plugins by package name from configuration', async () => {
    const registry = createPluginRegistry({ locations: { [PACKAGE]: location } });
    const resolver = await registry.createResolver(config);
    expect(
      resolver.resolve('e', [set(1, 'e', { greeting: 'hi' }), set(2, 'e', { visit: 1 })]),
    ).toEqual({
      greeting: 'HI!',
      visits: 1,
    });
    expect(registry.packages().find((entry) => entry.name === PACKAGE)?.version).toBe('1.0.0');
  });

  it('hot-reloads a new version: cached views are recomputed, no data lost, ingest continues', async () => {
    const registry = createPluginRegistry({ locations: { [PACKAGE]: location } });
    const cache = await registry.createCache(config);
    // A cache that does not use the package is left alone by the reload.
    const unrelated = await registry.createCache({
      plugins: [
        {
          property: 'visits',
          package: '@rhizome/plugins',
          plugin: 'count',
          options: { reads: ['visit'] },
        },
      ],
    });
    unrelated.apply('a', { visible: [set(2, 'a', { visit: 1 })] });
    const unrelatedResolver = unrelated.resolver;
    const hello = set(1, 'a', { greeting: 'hello' });
    cache.apply('a', { visible: [hello, set(2, 'a', { visit: 1 })] });
    const hey = set(3, 'b', { greeting: 'hey' });
    cache.apply('b', { visible: [hey] });
    cache.apply('b', { negated: [hey], visible: [negate(4, hey)] });
    expect(cache.view('a')).toEqual({ greeting: 'HELLO!', visits: 1 });
    expect(cache.view('b')).toEqual({ greeting: undefined, visits: 0 });

    // The package is upgraded in place on disk, then reloaded without a restart.
    writeVersion(root, '2.0.0', "'<' + state.value + '>'");
    const report = await registry.reload(PACKAGE);
    expect(report).toEqual({
      package: PACKAGE,
      previousVersion: '1.0.0',
      version: '2.0.0',
      caches: 1,
      entityResolvers: 0,
      entitiesRecomputed: 2,
    });

    expect(cache.view('a')).toEqual({ greeting: '<hello>', visits: 1 });
    expect(cache.view('b')).toEqual({ greeting: undefined, visits: 0 });
    cache.apply('a', { visible: [set(5, 'a', { greeting: 'bye' }), set(6, 'a', { visit: 2 })] });
    expect(cache.view('a')).toEqual({ greeting: '<bye>', visits: 2 });
    expect(registry.packages().find((entry) => entry.name === PACKAGE)?.version).toBe('2.0.0');
    expect(unrelated.resolver).toBe(unrelatedResolver);
    expect(unrelated.view('a')).toEqual({ visits: 1 });
  });

  it('hot-reloads a views entity resolver built from configuration', async () => {
    const registry = createPluginRegistry({ locations: { [PACKAGE]: location } });
    const entityResolver = await registry.createEntityResolver(config, { name: 'greeter' });
    const schema = defineSchema({ name: 'greeter', properties: {}, entityResolver });
    const store = createViewStore({ schemas: [schema] });
    store.ingest(set(1, 'a', { greeting: 'hello' }));
    expect(store.resolve(schema, 'a')).toEqual({ greeting: 'HELLO!', visits: 0 });

    writeVersion(root, '2.0.0', "'<' + state.value + '>'");
    const report = await registry.reload(PACKAGE);
    expect(report.entityResolvers).toBe(1);
    // Views recomputes an entity when it changes; the new version resolves it from all its deltas.
    store.ingest(set(2, 'a', { visit: 1 }));
    expect(store.resolve(schema, 'a')).toEqual({ greeting: '<hello>', visits: 1 });
    expect(entityResolver.resolver.plugins[0]!.version).toBe('2.0.0');
  });

  it('recomputes the views a views store cached, without new deltas, and tells subscribers', async () => {
    const registry = createPluginRegistry({ locations: { [PACKAGE]: location } });
    const entityResolver = await registry.createEntityResolver(config, { name: 'greeter' });
    const schema = defineSchema({ name: 'greeter', properties: {}, entityResolver });
    const store = createViewStore({ schemas: [schema] });
    const stop = registry.onReload(({ switchedEntityResolvers }) => {
      for (const switched of switchedEntityResolvers) store.invalidate(switched);
    });
    store.ingestMany([set(1, 'a', { greeting: 'hello' }), set(2, 'b', { visit: 1 })]);
    expect(store.resolve(schema, 'a')).toEqual({ greeting: 'HELLO!', visits: 0 });
    expect(store.resolve(schema, 'b')).toEqual({ greeting: undefined, visits: 1 });
    const heardA: unknown[] = [];
    const heardB: unknown[] = [];
    store.subscribe('a', (view) => heardA.push(view), { schema });
    store.subscribe('b', (view) => heardB.push(view), { schema });

    writeVersion(root, '2.0.0', "'<' + state.value + '>'");
    const size = store.size;
    await registry.reload(PACKAGE);
    expect(store.size).toBe(size);
    expect(store.resolve(schema, 'a')).toEqual({ greeting: '<hello>', visits: 0 });
    expect(heardA).toEqual([{ greeting: '<hello>', visits: 0 }]);
    // Its view resolves the same under the new version, so its subscriber hears nothing.
    expect(heardB).toEqual([]);
    // Incremental updates go on with the new version.
    store.ingest(set(3, 'a', { greeting: 'bye' }));
    expect(store.resolve(schema, 'a')).toEqual({ greeting: '<bye>', visits: 0 });
    expect(heardA).toHaveLength(2);

    stop();
    writeVersion(root, '3.0.0', "state.value + '?'");
    await registry.reload(PACKAGE);
    expect(heardA).toHaveLength(2);
  });

  it('runs every reload listener even if one throws, then rethrows with the new version in place', async () => {
    const registry = createPluginRegistry({ locations: { [PACKAGE]: location } });
    const entityResolver = await registry.createEntityResolver(config);
    const heard: string[] = [];
    registry.onReload(() => {
      throw new Error('listener failed');
    });
    registry.onReload((event) =>
      heard.push(`${event.version}:${event.switchedEntityResolvers.length}`),
    );
    writeVersion(root, '2.0.0', "'<' + state.value + '>'");
    await expect(registry.reload(PACKAGE)).rejects.toThrow('listener failed');
    expect(heard).toEqual(['2.0.0:1']);
    expect(entityResolver.resolver.plugins[0]!.version).toBe('2.0.0');
  });

  it('keeps the running version when the new one fails to load', async () => {
    const registry = createPluginRegistry({ locations: { [PACKAGE]: location } });
    const cache = await registry.createCache(config);
    cache.apply('a', { visible: [set(1, 'a', { greeting: 'hello' })] });
    writeFileSync(
      join(root, 'node_modules', PACKAGE, 'index.js'),
      'export const version = "3.0.0";\n',
    );
    const failure = await registry.reload(PACKAGE).catch((error: unknown) => error);
    expect(isRhizomeError(failure, PluginErrorCode.LoadFailed)).toBe(true);
    expect(cache.view('a')).toEqual({ greeting: 'HELLO!', visits: 0 });
  });

  it('reports an unknown package, a missing plugin and an import failure with codes', async () => {
    const registry = createPluginRegistry({ locations: { [PACKAGE]: location } });
    await expect(registry.reload('nope')).rejects.toMatchObject({
      code: PluginErrorCode.UnknownPackage,
    });
    await expect(
      registry.createResolver({
        plugins: [{ property: 'x', package: PACKAGE, plugin: 'whisper' }],
      }),
    ).rejects.toMatchObject({
      code: PluginErrorCode.LoadFailed,
      message: expect.stringContaining('shout'),
    });
    await expect(
      registry.createResolver({
        plugins: [{ property: 'x', package: 'rhizome-plugin-absent', plugin: 'x' }],
      }),
    ).rejects.toMatchObject({ code: PluginErrorCode.LoadFailed });
  });
});
