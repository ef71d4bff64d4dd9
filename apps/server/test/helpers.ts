import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createOpenPrincipal, createRhizomeNode, type RhizomeNode } from '@rhizome/api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryStore } from '@rhizome/storage';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { WebSocket } from 'ws';
import { createApp } from '../src/app.ts';
import { loadConfig, type ServerConfig } from '../src/config.ts';
import { createMetrics } from '../src/metrics.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { createAuthenticator, type TokenEntry } from '../src/tokens.ts';

/** Test bodies are checked by assertions, not by types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export const silentLogger = pino({ level: 'silent' });

export const TOKENS = {
  alice: 'alice-token-0123456789',
  bob: 'bob-token-0123456789ab',
  reader: 'reader-token-012345678',
  admin: 'admin-token-0123456789',
  peer: 'peer-token-01234567890',
} as const;

export const TOKEN_ENTRIES: TokenEntry[] = [
  { token: TOKENS.alice, creator: 'alice', scopes: ['read', 'write'] },
  { token: TOKENS.bob, creator: 'bob', scopes: ['read', 'write'] },
  { token: TOKENS.reader, creator: 'carol', scopes: ['read'] },
  { token: TOKENS.admin, creator: 'root', scopes: ['admin'] },
  { token: TOKENS.peer, creator: 'peer-1', scopes: ['peer'] },
];

export async function createTestApp(options: { tokens?: TokenEntry[]; bodyLimit?: number } = {}) {
  const node: RhizomeNode = await createRhizomeNode({
    store: createMemoryStore(),
    nodeId: 'test-node',
  });
  const app = createApp({
    node,
    authenticator: createAuthenticator(options.tokens ?? TOKEN_ENTRIES, createOpenPrincipal()),
    logger: silentLogger,
    metrics: createMetrics(),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
  });
  const request = async (
    method: string,
    path: string,
    init: { token?: string; body?: unknown; raw?: string } = {},
  ): Promise<JsonResponse> =>
    app.request(path, {
      method,
      headers: {
        ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
        ...(init.body === undefined && init.raw === undefined
          ? {}
          : { 'content-type': 'application/json' }),
      },
      ...(init.raw !== undefined
        ? { body: init.raw }
        : init.body === undefined
          ? {}
          : { body: JSON.stringify(init.body) }),
    });
  return { app, node, request };
}

/** A delta without id, timeCreated, host or creator: the server fills them in. */
export function setDelta(
  entity: string,
  property: string,
  value: string | number | boolean | null,
) {
  return {
    pointers: [
      { localContext: 'entity', target: { id: entity }, targetContext: property },
      { localContext: property, target: value },
    ],
  };
}

/** A config for a real server in tests: any free port, loopback, silent, with the test tokens. */
export function testConfig(overrides: Record<string, string> = {}): ServerConfig {
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    RHIZOME_NODE_ID: 'e2e-node',
    RHIZOME_TOKENS: JSON.stringify(TOKEN_ENTRIES),
    RHIZOME_SHUTDOWN_TIMEOUT_MS: '1000',
    ...overrides,
  });
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The sync endpoint of a running server, as a peer dials it. */
export const syncUrl = (server: RunningServer) => `${server.url.replace('http://', 'ws://')}/sync`;

/**
 * For the sync tests of a describe block: a server "node-a" on memory storage, and a temporary
 * directory for the data of the nodes the tests start; both made before the block's tests and
 * removed after them. Read them through the getters once the tests run.
 */
export function useSyncPeer(prefix: string): { a(): RunningServer; dir(): string } {
  let a: RunningServer | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    a = await startServer(testConfig({ RHIZOME_NODE_ID: 'node-a' }), {
      logger: silentLogger,
      store: createMemoryStore(),
    });
  });
  afterAll(async () => {
    await a?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return { a: () => a!, dir: () => dir! };
}

/** A server started as its own OS process: `src/main.ts` as `pnpm start` runs it, or the build. */
export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
}

const serverDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Which entry point a child process runs: `source` is `src/main.ts` through tsx (`pnpm start`),
 * `built` is `dist/main.js` on plain Node (`pnpm start:prod`, the bin, the Docker image).
 */
export type ServerEntry = 'source' | 'built';

const ENTRY_ARGS: Record<ServerEntry, readonly string[]> = {
  source: ['--import', 'tsx', 'src/main.ts'],
  built: ['dist/main.js'],
};

/** The environment of a child server: only PATH and HOME from this process, then `env`. */
function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
}

/**
 * Starts the server's entry point in a child process on a free loopback port with `env`, and
 * resolves once it logs that it listens. The caller stops it (`stopServerProcess`) or kills it.
 */
export async function startServerProcess(
  name: string,
  env: Record<string, string>,
  entry: ServerEntry = 'source',
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ENTRY_ARGS[entry], {
    cwd: serverDir,
    env: childEnv({ PORT: '0', RHIZOME_NODE_ID: name, LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    let errors = '';
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${name} exited early with ${code}: ${errors}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) {
        const line = JSON.parse(part) as { msg?: string; url?: string };
        if (line.msg === 'rhizome node listening') resolve(line.url!);
      }
    });
  });
  return { name, url, child };
}

/** Sends `signal` and resolves with the exit code, or rejects after `timeoutMs` (then kills). */
export async function stopServerProcess(
  server: ServerProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 15_000,
): Promise<number | null> {
  const { child } = server;
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${server.name} did not exit within ${timeoutMs} ms of ${signal}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the entry point to its end (a start that must fail): exit code and both outputs. */
export async function runServerProcess(
  env: Record<string, string>,
  entry: ServerEntry = 'source',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ENTRY_ARGS[entry], {
    cwd: serverDir,
    env: childEnv({ PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * A raw WebSocket upgrade to `url` with these headers: the open socket (status 101), or the
 * refusal's status and body.
 */
export function tryUpgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; socket?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve({ status: 101, body: '', socket }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once('error', (error) => {
      if (!String(error.message).includes('Unexpected server response')) reject(error);
    });
  });
}
