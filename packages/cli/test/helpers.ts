import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMemoryStore } from '@rhizome/storage';
import { loadConfig, startServer, type RunningServer } from '@rhizome/server';

export const BIN = fileURLToPath(new URL('../bin/rhizome.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real executable in a child process, as a user's shell would. */
export function runCli(
  args: readonly string[],
  options: { url?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  // The caller's own RHIZOME_URL/RHIZOME_TOKEN must not leak into the runs.
  const env: Record<string, string | undefined> = {
    ...process.env,
    RHIZOME_URL: undefined,
    RHIZOME_TOKEN: undefined,
    ...options.env,
  };
  if (options.url !== undefined) env.RHIZOME_URL = options.url;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env, cwd: options.cwd, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A node on a free loopback port with an in-memory store. */
export function startTestNode(
  nodeId: string,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    RHIZOME_NODE_ID: nodeId,
    ...env,
  });
  return startServer(config, { store: createMemoryStore() });
}

/** Parses the `--json` error a failed command writes to stderr. */
export function parseError(result: CliResult): { code: string; message: string; details: unknown } {
  return (
    JSON.parse(result.stderr) as { error: { code: string; message: string; details: unknown } }
  ).error;
}
