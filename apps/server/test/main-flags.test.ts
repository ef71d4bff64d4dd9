import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// `pnpm start --port 9000 …` passes the same flags as `rhizome serve` to src/main.ts.
const appDir = fileURLToPath(new URL('..', import.meta.url));
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent' };

async function runMain(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: appDir,
    env: baseEnv,
    timeout: 30_000,
  }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe('src/main.ts flags', () => {
  it('checks flags as their variables, one line per problem', async () => {
    const result = await runMain(['--', '--port', 'http', '--log-level', 'loud']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration:');
    expect(result.stderr).toMatch(/ {2}PORT: must be an integer/);
    expect(result.stderr).toMatch(/ {2}LOG_LEVEL: must be one of/);
  });

  it('refuses an unknown flag and a plugin that does not load', async () => {
    const unknown = await runMain(['--nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ {2}arguments: .*--nope/);
    const plugin = await runMain(['--port', '0', '--plugin', 'rhizome-no-such-plugin']);
    expect(plugin.code).toBe(1);
    expect(plugin.stderr).toMatch(/ {2}RHIZOME_PLUGINS: "rhizome-no-such-plugin": no such package/);
  });
});
