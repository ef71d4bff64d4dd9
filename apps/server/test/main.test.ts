import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';

// `pnpm start` runs src/main.ts with tsx; these tests run it the same way, as a child process.
const appDir = fileURLToPath(new URL('..', import.meta.url));
// The run's PostgreSQL (test/global-setup.ts), or null: that test is then skipped.
const DATABASE_URL = inject('postgres') ?? '';
const schema = `server_main_${process.pid}_${Date.now()}`;
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

describe('src/main.ts as a process', () => {
  afterAll(async () => {
    if (DATABASE_URL === '') return;
    const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end();
  });

  it('refuses bad configuration with one line per problem and exit code 1', async () => {
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: appDir,
      env: { ...baseEnv, PORT: 'http', RHIZOME_TOKENS: 'x=y' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(result).toMatchObject({ code: 1 });
    const stderr = (result as { stderr: string }).stderr;
    expect(stderr).toContain('Invalid configuration:');
    expect(stderr).toMatch(/ {2}PORT: must be an integer/);
    expect(stderr).toMatch(/ {2}RHIZOME_TOKENS: /);
  });

  it.skipIf(DATABASE_URL === '')(
    'serves, logs JSON with request ids, and exits cleanly on SIGTERM',
    async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: appDir,
        env: {
          ...baseEnv,
          PORT: '0',
          DATABASE_URL,
          RHIZOME_DATABASE_SCHEMA: schema,
          RHIZOME_NODE_ID: 'proc',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const lines: Record<string, unknown>[] = [];
        let buffered = '';
        const url = await new Promise<string>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
          child.stdout.on('data', (chunk: Buffer) => {
            buffered += chunk.toString();
            const parts = buffered.split('\n');
            buffered = parts.pop() ?? '';
            for (const part of parts) {
              const line = JSON.parse(part) as Record<string, unknown>;
              lines.push(line);
              if (line.msg === 'rhizome node listening') resolve(line.url as string);
            }
          });
        });
        expect(lines.some((l) => String(l.msg).includes('NO TOKENS CONFIGURED'))).toBe(true);
        const health = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'probe-1' } });
        expect(await health.json()).toEqual({ status: 'ok', nodeId: 'proc' });
        expect(health.headers.get('x-request-id')).toBe('probe-1');

        child.kill('SIGTERM');
        const [code] = (await once(child, 'exit')) as [number | null];
        expect(code).toBe(0);
        const messages = lines.map((l) => l.msg);
        expect(lines.find((l) => l.reqId === 'probe-1')).toMatchObject({
          path: '/healthz',
          status: 200,
        });
        expect(messages).toContain('stopped');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  );
});
