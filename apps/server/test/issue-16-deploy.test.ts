import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, TOKEN_ENTRIES, TOKENS } from './helpers.ts';

// Docker does not run on the machines CI uses, so the image is not built here. What it runs is:
// this test reads the Dockerfile and runs its deploy step, its start command (with the image's
// environment) and its health check as they are written, on the host, from the built repository.
const BUILT = inject('built');
const repoDir = fileURLToPath(new URL('../../../', import.meta.url));

interface DockerfilePlan {
  /** The `pnpm … deploy … <dir>` step, without its target directory (the test gives its own). */
  readonly deploy: string[];
  readonly env: Record<string, string>;
  readonly workdir: string;
  readonly cmd: string[];
  readonly healthcheck: string[];
}

/** The parts of the Dockerfile this test runs (instructions joined across `\` continuations). */
function readDockerfile(): DockerfilePlan {
  const text = readFileSync(join(repoDir, 'Dockerfile'), 'utf8');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const lastFrom = instructions.findLastIndex((line) => line.startsWith('FROM '));
  const build = instructions.slice(0, lastFrom);
  const runtime = instructions.slice(lastFrom);
  const deployLine = build.find((line) => /^RUN pnpm .* deploy /.test(line));
  if (deployLine === undefined) throw new Error('no `RUN pnpm … deploy` step in the Dockerfile');
  const deployWords = deployLine.slice('RUN '.length).split(/\s+/);
  const env: Record<string, string> = {};
  for (const line of runtime.filter((l) => l.startsWith('ENV '))) {
    for (const pair of line.slice('ENV '.length).split(/\s+/)) {
      const [key, ...value] = pair.split('=');
      env[key!] = value.join('=');
    }
  }
  const json = (prefix: RegExp) => {
    const line = runtime.find((l) => prefix.test(l));
    if (line === undefined) throw new Error(`no ${prefix} in the Dockerfile's last stage`);
    return JSON.parse(line.slice(line.indexOf('['))) as string[];
  };
  return {
    deploy: deployWords.slice(0, -1),
    env,
    workdir: runtime.find((l) => l.startsWith('WORKDIR '))!.slice('WORKDIR '.length),
    cmd: json(/^CMD /),
    healthcheck: json(/^HEALTHCHECK /),
  };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe.skipIf(!BUILT)('the Dockerfile, run on the host', () => {
  const plan = readDockerfile();
  let dir: string;
  let app: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rhizome-deploy-'));
    app = join(dir, 'app');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('deploys the server with production dependencies only, starts it, passes the health check, stops with 0', async () => {
    const [command, ...args] = plan.deploy;
    expect(command).toBe('pnpm');
    // The pnpm running these tests (`npx pnpm test` puts none on PATH), else the one on PATH.
    const pnpm = process.env.npm_execpath?.includes('pnpm')
      ? [process.execPath, process.env.npm_execpath]
      : ['pnpm'];
    await promisify(execFile)(pnpm[0]!, [...pnpm.slice(1), ...args, app], {
      cwd: repoDir,
      env: { ...process.env, CI: 'true' },
    });
    // Build tools stay in the build stage (typescript does come along: @trpc/server names it
    // as a peer dependency).
    const installed = readdirSync(join(app, 'node_modules', '.pnpm'));
    expect(installed.filter((name) => /^(tsx|esbuild|vitest|turbo)@/.test(name))).toEqual([]);
    expect(existsSync(join(app, 'dist', 'explorer', 'app.js'))).toBe(true);

    const port = String(await freePort());
    const env = {
      PATH: process.env.PATH ?? '',
      ...plan.env,
      PORT: port,
      RHIZOME_DATA_DIR: join(dir, 'data', 'pglite'),
      // The image listens on 0.0.0.0, which the node refuses without tokens.
      RHIZOME_TOKENS: JSON.stringify(TOKEN_ENTRIES),
      LOG_LEVEL: 'warn',
    };
    const [node, ...nodeArgs] = plan.cmd;
    expect(node).toBe('node');
    const child = spawn(process.execPath, nodeArgs, { cwd: app, env, stdio: 'inherit' });
    const exited = once(child, 'exit') as Promise<[number | null]>;
    try {
      const [check, ...checkArgs] = plan.healthcheck;
      expect(check).toBe('node');
      const healthy = () =>
        promisify(execFile)(process.execPath, checkArgs, { env }).then(
          () => true,
          () => undefined,
        );
      await eventually(healthy, 'the health check to pass', 30_000);
      const put = await fetch(`http://127.0.0.1:${port}/api/entities/ada`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ properties: { name: 'Ada' } }),
      });
      expect(put.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    expect(code).toBe(0);
  }, 180_000);
});
