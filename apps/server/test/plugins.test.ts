import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, getRhizomeError } from '@rhizome/client';
import { createMemoryStore } from '@rhizome/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { silentLogger, testConfig, TOKENS } from './helpers.ts';

const COUNTER = '@rhizome/plugin-crdt#pn-counter';

/** A plugin module on disk: sums numbers, times `factor` (so a new version is visible). */
function scoreModule(version: string, factor: number): string {
  return `export const version = ${JSON.stringify(version)};
const score = (options) => ({
  name: 'test/score',
  version,
  property: options.property,
  reads: options.reads ?? [options.property],
  usesDependenciesInUpdate: false,
  initialize: () => ({ sum: 0 }),
  update(state, value) { if (typeof value === 'number') state.sum += value; return state; },
  remove(state, value) { if (typeof value === 'number') state.sum -= value; return state; },
  resolve: (state) => state.sum * ${factor},
});
export const plugins = { score };
`;
}

async function startWith(plugins: string, cwd?: string): Promise<RunningServer> {
  const config = testConfig({ RHIZOME_PLUGINS: plugins });
  return startServer(cwd === undefined ? config : { ...config, cwd }, {
    logger: silentLogger,
    store: createMemoryStore(),
  });
}

describe('plugins from RHIZOME_PLUGINS', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rhizome-server-plugins-'));
    await writeFile(join(dir, 'plain.mjs'), 'export const answer = 42;\n');
    await writeFile(join(dir, 'broken.mjs'), 'throw new Error("boom at import");\n');
    await writeFile(join(dir, 'needs-dep.mjs'), "import 'rhizome-missing-dependency';\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start on each bad entry, with one line per problem', async () => {
    const error = await startWith(
      'rhizome-no-such-plugin-package,./missing.mjs,./plain.mjs,./broken.mjs,./needs-dep.mjs',
      dir,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.variable)).toEqual(Array(5).fill('RHIZOME_PLUGINS'));
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/"rhizome-no-such-plugin-package": no such package/),
      expect.stringMatching(/"\.\/missing\.mjs": no such file/),
      expect.stringMatching(/"\.\/plain\.mjs": not a Rhizome plugin package/),
      expect.stringMatching(/"\.\/broken\.mjs": failed to load: boom at import/),
      // A missing dependency of the module is a load error, not a missing plugin.
      expect.stringMatching(/"\.\/needs-dep\.mjs": failed to load: .*rhizome-missing-dependency/),
    ]);
  });

  it('checks the list itself with the rest of the configuration', () => {
    expect(() => testConfig({ RHIZOME_PLUGINS: 'a,,b' })).toThrow(
      /RHIZOME_PLUGINS: entry 2 is empty/,
    );
    expect(testConfig({ RHIZOME_PLUGINS: ' a , b,a' }).plugins).toEqual(['a', 'b']);
  });

  describe('a real plugin package (@rhizome/plugin-crdt)', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startWith('@rhizome/plugin-crdt');
    });
    afterAll(async () => {
      await server.close();
    });

    it('lets a schema property resolve with a plugin, through REST and tRPC', async () => {
      expect(server.plugins.packages[0]).toMatchObject({
        name: '@rhizome/plugin-crdt',
        resolvers: [`@rhizome/plugin-crdt#pn-counter`, '@rhizome/plugin-crdt#or-set'],
        skipped: [{ plugin: 'sequence', reason: expect.stringMatching(/tombstones/) }],
      });
      const admin = createClient({ url: server.url, token: TOKENS.admin });
      const alice = createClient({ url: server.url, token: TOKENS.alice });
      await admin.schemas.put.mutate({
        name: 'post',
        schema: {
          properties: {
            title: { kind: 'string', resolver: 'lww' },
            likes: { kind: 'number', resolver: { custom: COUNTER } },
          },
        },
      });
      for (const likes of [1, 1, 1, -1, 5])
        await alice.entities.put.mutate({ id: 'p1', properties: { likes } });
      await alice.entities.put.mutate({ id: 'p1', properties: { title: 'Hello' } });
      expect(await alice.entities.get.query({ id: 'p1', schema: 'post' })).toEqual({
        id: 'p1',
        title: 'Hello',
        likes: 7,
      });
      const rest = await fetch(`${server.url}/api/entities/p1?schema=post`, {
        headers: { authorization: `Bearer ${TOKENS.alice}` },
      });
      expect(await rest.json()).toEqual({ id: 'p1', title: 'Hello', likes: 7 });
      // Without the schema, the same deltas are last-write-wins.
      expect((await alice.entities.get.query({ id: 'p1' })).likes).toBe(5);
      expect(await admin.schemas.get.query({ name: 'post' })).toMatchObject({
        properties: { likes: { resolver: { custom: COUNTER } } },
      });
    });

    it('refuses a schema naming a plugin that is not loaded, or cannot resolve a property', async () => {
      const admin = createClient({ url: server.url, token: TOKENS.admin });
      for (const custom of ['other-package#x', '@rhizome/plugin-crdt#sequence']) {
        const error = await admin.schemas.put
          .mutate({
            name: 'bad',
            schema: { properties: { x: { kind: 'any', resolver: { custom } } } },
          })
          .catch((e: unknown) => e);
        expect(getRhizomeError(error)).toMatchObject({ code: 'SCHEMA_INVALID', httpStatus: 400 });
      }
    });
  });

  describe('a plugin module file, rewritten while the node runs', () => {
    let server: RunningServer;
    let file: string;
    beforeAll(async () => {
      file = join(dir, 'score.mjs');
      await writeFile(file, scoreModule('1.0.0', 1));
      server = await startWith(file);
    });
    afterAll(async () => {
      await server.close();
    });

    it('hot-reloads it: cached views recompute and watchers hear the new value', async () => {
      const admin = createClient({ url: server.url, token: TOKENS.admin });
      const alice = createClient({ url: server.url, token: TOKENS.alice });
      await admin.schemas.put.mutate({
        name: 'game',
        schema: {
          properties: { score: { kind: 'number', resolver: { custom: `${file}#score` } } },
        },
      });
      await alice.entities.put.mutate({ id: 'g1', properties: { score: 2 } });
      await alice.entities.put.mutate({ id: 'g1', properties: { score: 3 } });
      expect(await alice.entities.get.query({ id: 'g1', schema: 'game' })).toEqual({
        id: 'g1',
        score: 5,
      });

      const seen: unknown[] = [];
      const reloaded = new Promise<void>((resolve, reject) => {
        const subscription = alice.entities.watch.subscribe(
          { id: 'g1', schema: 'game' },
          {
            onData(view) {
              seen.push(view.score);
              if (seen.length === 1) void writeFile(file, scoreModule('2.0.0', 10));
              if (view.score === 50) {
                subscription.unsubscribe();
                resolve();
              }
            },
            onError: reject,
          },
        );
      });
      await reloaded;
      expect(seen).toEqual([5, 50]);
      expect(await alice.entities.get.query({ id: 'g1', schema: 'game' })).toEqual({
        id: 'g1',
        score: 50,
      });
      expect(server.plugins.packages[0]!.version).toBe('2.0.0');

      // A version that does not load changes nothing: the node keeps resolving with 2.0.0.
      await writeFile(file, 'export const plugins = {\n');
      await expect(server.plugins.reload(file)).rejects.toMatchObject({
        code: 'PLUGIN_LOAD_FAILED',
      });
      expect(await alice.entities.get.query({ id: 'g1', schema: 'game' })).toEqual({
        id: 'g1',
        score: 50,
      });
      expect(server.plugins.packages[0]!.version).toBe('2.0.0');
    });
  });
});
