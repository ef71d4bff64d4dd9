import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  runServerProcess,
  startServerProcess,
  stopServerProcess,
  type ServerEntry,
} from './helpers.ts';

// The production start (issue 16): `pnpm build` output on plain Node, as `pnpm start:prod`, the
// `rhizome-server` bin and the Docker image run it. Without a build these tests are skipped with
// one line saying so (test/global-setup.ts); CI builds first and requires them.
const BUILT = inject('built');

/** A loopback port nobody listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-prod-start-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(!BUILT)('the built server (node dist/main.js)', () => {
  it('starts on a fresh PGlite directory, stops with exit 0 on SIGTERM and SIGINT, and keeps the data', async () => {
    const env = { RHIZOME_DATA_DIR: join(dir, 'data') };
    const first = await startServerProcess('prod-1', env, 'built');
    try {
      const put = await fetch(`${first.url}/api/entities/ada`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ properties: { name: 'Ada' } }),
      });
      expect(put.status).toBe(200);
      // The Explorer was bundled by the build: served as is, nothing bundled at start.
      const script = await fetch(`${first.url}/explorer/app.js`);
      expect(script.status).toBe(200);
      expect((await script.text()).length).toBeGreaterThan(1_000);
    } finally {
      expect(await stopServerProcess(first, 'SIGTERM')).toBe(0);
    }
    const second = await startServerProcess('prod-2', env, 'built');
    try {
      const entity = await fetch(`${second.url}/api/entities/ada`);
      expect(entity.status).toBe(200);
      expect(JSON.stringify(await entity.json())).toContain('Ada');
    } finally {
      // One Ctrl-C reaches the node more than once (the terminal's process group, then pnpm
      // passing it on): still one clean stop, not "second signal: exit without waiting".
      second.child.kill('SIGINT');
      expect(await stopServerProcess(second, 'SIGINT')).toBe(0);
    }
  }, 90_000);
});

// Both entry points must say what is wrong in one line; the source one runs without a build.
/** A child Node (and tsx) on a loaded 2-core machine can take seconds to start. */
const SLOW = { timeout: 60_000 };
const ENTRIES: ServerEntry[] = BUILT ? ['built', 'source'] : ['source'];

describe.each(ENTRIES)('start failures an operator can fix (%s entry point)', (entry) => {
  it(
    'an unreachable DATABASE_URL: one line with what was tried, host:port and the code, exit 1',
    SLOW,
    async () => {
      const port = await closedPort();
      const result = await runServerProcess(
        { DATABASE_URL: `postgres://rhizome:secret-password@127.0.0.1:${port}/rhizome` },
        entry,
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `rhizome-server: cannot reach PostgreSQL at 127.0.0.1:${port}/rhizome (DATABASE_URL): ECONNREFUSED`,
      ]);
      expect(result.stderr).not.toContain('secret-password');
    },
  );

  it('a peer address with another scheme names the bad value once', SLOW, async () => {
    const result = await runServerProcess(
      { RHIZOME_PEERS: 'ws://ok.example:1/sync,ftp://x' },
      entry,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'Invalid configuration:',
      '  RHIZOME_PEERS: entry 2: "ftp://x" must be a ws://, wss://, http:// or https:// URL',
    ]);
  });

  it('a port that is taken: one line naming it', SLOW, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const result = await runServerProcess(
        { PORT: String(port), HOST: '127.0.0.1', RHIZOME_DATA_DIR: join(dir, `taken-${entry}`) },
        entry,
      );
      expect(result.code).toBe(1);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        `rhizome-server: cannot listen on 127.0.0.1:${port} (HOST, PORT): EADDRINUSE`,
      ]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
