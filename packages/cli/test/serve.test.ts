import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, parseError, runCli } from './helpers.ts';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const ADMIN = 'admin-token-0123456789';
const READER = 'reader-token-012345678';

/** Starts `rhizome serve … --json` and resolves with its URL and a stop function. */
async function serve(args: readonly string[], cwd = PACKAGE_DIR) {
  const child = spawn(process.execPath, [BIN, 'serve', ...args, '--json'], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'silent', RHIZOME_TOKENS: '', RHIZOME_PLUGINS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      let errors = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const line = buffer.split('\n').find((l) => l.includes('"url"'));
        if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${errors}`)));
    });
    return {
      url,
      async stop() {
        child.kill('SIGTERM');
        return exited;
      },
    };
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
}

describe('rhizome serve flags', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rhizome-cli-serve-'));
    await writeFile(join(dir, 'not-a-plugin.mjs'), 'export const x = 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('checks flags like their variables and names the flag in each problem', async () => {
    const result = await runCli(
      ['serve', '--port', 'eighty', '--log-level', 'loud', '--tokens', 'short=a:read', '--json'],
      { env: { RHIZOME_BODY_LIMIT: '12' } },
    );
    expect(result.code).toBe(2);
    const error = parseError(result);
    expect(error.code).toBe('USAGE_INVALID');
    const problems = (error.details as { problems: { variable: string }[] }).problems;
    expect(problems.map((p) => p.variable).sort()).toEqual([
      '--log-level (LOG_LEVEL)',
      '--port (PORT)',
      '--tokens (RHIZOME_TOKENS)',
      'RHIZOME_BODY_LIMIT',
    ]);
  });

  it('refuses plugins that do not load, one problem per --plugin', async () => {
    const result = await runCli(
      [
        'serve',
        '--memory',
        '--port',
        '0',
        '--plugin',
        'rhizome-no-such-plugin',
        '--plugin',
        './not-a-plugin.mjs',
        '--json',
      ],
      { cwd: dir, env: { LOG_LEVEL: 'silent' } },
    );
    expect(result.code).toBe(2);
    const problems = (
      parseError(result).details as { problems: { variable: string; message: string }[] }
    ).problems;
    expect(problems).toEqual([
      { variable: '--plugin (RHIZOME_PLUGINS)', message: expect.stringMatching(/no such package/) },
      {
        variable: '--plugin (RHIZOME_PLUGINS)',
        message: expect.stringMatching(/not a Rhizome plugin package/),
      },
    ]);
  });

  it('runs with tokens, a node id and a plugin given as flags', async () => {
    const node = await serve([
      '--memory',
      '--port',
      '0',
      '--node-id',
      'flagged',
      '--tokens',
      `${ADMIN}=root:admin,${READER}=carol:read`,
      '--plugin',
      '@rhizome/plugin-crdt',
    ]);
    try {
      const health = (await (await fetch(`${node.url}/healthz`)).json()) as { nodeId: string };
      expect(health.nodeId).toBe('flagged');
      expect((await fetch(`${node.url}/api/schemas`)).status).toBe(401);
      const schemaFile = join(dir, 'post.json');
      await writeFile(
        schemaFile,
        JSON.stringify({
          name: 'post',
          properties: {
            likes: { kind: 'number', resolver: { custom: '@rhizome/plugin-crdt#pn-counter' } },
          },
        }),
      );
      const admin = { url: node.url, env: { RHIZOME_TOKEN: ADMIN } };
      expect((await runCli(['schema', 'put', 'post', schemaFile], admin)).code).toBe(0);
      for (const likes of ['3', '4', '-2'])
        expect((await runCli(['put', 'p', `likes=${likes}`], admin)).code).toBe(0);
      const got = await runCli(['get', 'p', '--schema', 'post', '--json'], {
        url: node.url,
        env: { RHIZOME_TOKEN: READER },
      });
      expect(JSON.parse(got.stdout)).toEqual({ id: 'p', likes: 5 });
    } finally {
      expect(await node.stop()).toBe(0);
    }
  });

  it('lists every setting in --help', async () => {
    const help = await runCli(['serve', '--help']);
    for (const flag of [
      '--port',
      '--host',
      '--data-dir',
      '--database-url',
      '--database-schema',
      '--node-id',
      '--tokens',
      '--plugin',
      '--body-limit',
      '--log-level',
      '--shutdown-timeout-ms',
      '--memory',
    ])
      expect(help.stdout).toContain(flag);
  });
});
