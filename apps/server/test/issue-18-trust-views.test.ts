import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, getRhizomeError } from '@rhizome/client';
import { createDeltaBuilder, derivePublicKey, signDelta, type Delta } from '@rhizome/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './helpers.ts';

// Issue 18 item 5: readers of one entity with different trust settings (creators, signed only)
// see different views, each consistent with the deltas it admits, over REST, tRPC and the CLI of
// a real server process; revoking and rotating keys changes what `signed` shows.

const secret = (n: number): string => (n + 1).toString(16).padStart(2, '0').repeat(32);
const ADMIN = secret(0);
const ALICE_1 = secret(1);
const ALICE_2 = secret(2);
const BOB = secret(3);
const CLI = fileURLToPath(new URL('../../../packages/cli/bin/rhizome.js', import.meta.url));

let dir: string;
let node: ServerProcess;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-issue-18-trust-'));
  node = await startServerProcess('trust', {
    RHIZOME_DATA_DIR: join(dir, 'trust'),
    RHIZOME_ADMIN_KEYS: derivePublicKey(ADMIN),
  });
  children.push(node.child);
}, 120_000);
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

let time = Date.now() - 60_000;
const build = (creator: string) =>
  createDeltaBuilder({ creator, host: 'test', timeCreated: time++ });
const listKey = (creator: string, key: string, by: string, as: string): Delta =>
  signDelta(
    build(as)
      .set(`_creator:${creator}`, { keys: derivePublicKey(key) })
      .build(),
    by,
  );
const title = (creator: string, text: string, by?: string): Delta => {
  const delta = build(creator).set('doc', { title: text }).build();
  return by === undefined ? delta : signDelta(delta, by);
};

const write = async (deltas: Delta[]) => {
  const response = await fetch(`${node.url}/api/deltas`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deltas }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
};
const rest = async (
  query: string,
): // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies, read in assertions
Promise<{ status: number; body: any }> => {
  const response = await fetch(`${node.url}/api/entities/doc${query}`);
  return { status: response.status, body: await response.json() };
};
const cli = async (
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> => {
  const child = spawn(process.execPath, [CLI, ...args, '--url', node.url, '--json'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
};
const titleOf = (view: unknown) => (view as { title?: unknown } | undefined)?.title;

/** The title each reader sees, over every transport; they must agree per reader. */
async function readers(): Promise<Record<string, unknown>> {
  const client = createClient({ url: node.url });
  const settings: [string, string, string[], { creators?: string[]; signed?: boolean }][] = [
    ['everyone', '', [], {}],
    ['alice', '?trust=alice', ['--trust', 'alice'], { creators: ['alice'] }],
    ['signed', '?signed=true', ['--signed'], { signed: true }],
    [
      'mallory-signed',
      '?trust=mallory&signed=true',
      ['--trust', 'mallory', '--signed'],
      { creators: ['mallory'], signed: true },
    ],
  ];
  const seen: Record<string, unknown> = {};
  for (const [name, query, flags, trust] of settings) {
    const overRest = await rest(query);
    const overTrpc = await client.entities.get
      .query({ id: 'doc', ...(name === 'everyone' ? {} : { trust }) })
      .catch((error: unknown) => getRhizomeError(error)?.code);
    const overCli = await cli(['get', 'doc', ...flags]);
    const restTitle = overRest.status === 200 ? titleOf(overRest.body) : overRest.body.error.code;
    const cliTitle =
      overCli.code === 0
        ? titleOf(JSON.parse(overCli.stdout))
        : (JSON.parse(overCli.stderr) as { error: { code: string } }).error.code;
    const trpcTitle = typeof overTrpc === 'string' ? overTrpc : titleOf(overTrpc);
    expect({ name, rest: restTitle, trpc: trpcTitle, cli: cliTitle }).toEqual({
      name,
      rest: restTitle,
      trpc: restTitle,
      cli: restTitle,
    });
    // Consistent with itself: the view is the newest delta of the hyperview the same reader sees.
    const hyperview = await fetch(`${node.url}/api/entities/doc/hyperview${query}`).then(
      (response) => response.json() as Promise<{ properties: { title?: Delta[] } }>,
    );
    const newest = hyperview.properties.title?.at(-1);
    expect(restTitle).toBe(
      newest === undefined
        ? 'ENTITY_NOT_FOUND'
        : newest.pointers.find((p) => p.localContext === 'title')?.target,
    );
    seen[name] = restTitle;
  }
  return seen;
}

describe('issue 18: trust-filtered views over REST, tRPC and the CLI', { timeout: 180_000 }, () => {
  it('shows each reader its own view, and follows key revocation and rotation', async () => {
    const aliceKey1 = listKey('alice', ALICE_1, ADMIN, 'admin');
    const bobKey = listKey('bob', BOB, ADMIN, 'admin');
    await write([aliceKey1, bobKey]);
    const byAlice1 = title('alice', 'alice, key 1', ALICE_1);
    await write([byAlice1, title('bob', 'bob', BOB), title('mallory', 'mallory')]);
    expect(await readers()).toEqual({
      everyone: 'mallory',
      alice: 'alice, key 1',
      signed: 'bob',
      'mallory-signed': 'ENTITY_NOT_FOUND',
    });

    // The admin revokes bob's key: his delta is no longer verified.
    await write([signDelta(build('admin').negate(bobKey.id).build(), ADMIN)]);
    expect((await readers()).signed).toBe('alice, key 1');

    // Alice rotates: key 1 lists key 2, key 2 retires key 1; what key 1 signed stops counting.
    await write([listKey('alice', ALICE_2, ALICE_1, 'alice')]);
    await write([title('alice', 'alice, key 2', ALICE_2)]);
    await write([signDelta(build('alice').negate(aliceKey1.id).build(), ALICE_2)]);
    await write([title('bob', 'bob again', BOB)]);
    const after = await readers();
    expect(after).toMatchObject({
      everyone: 'bob again',
      alice: 'alice, key 2',
      signed: 'alice, key 2',
    });
    const hyperview = (await fetch(`${node.url}/api/entities/doc/hyperview?verification=true`).then(
      (response) => response.json(),
    )) as { verified: string[]; properties: { title: Delta[] } };
    expect(hyperview.verified).not.toContain(byAlice1.id);
    expect(hyperview.verified).toHaveLength(1);
  });

  it('refuses malformed trust settings with INVALID_REQUEST on every transport', async () => {
    for (const query of ['?signed=maybe', '?trust=', '?trust=alice,,bob', '?signed=1']) {
      const response = await rest(query);
      expect({ query, status: response.status, code: response.body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'INVALID_REQUEST',
      });
    }
    const client = createClient({ url: node.url });
    const code = await client.entities.get
      .query({ id: 'doc', trust: { creators: [] } })
      .catch((error: unknown) => getRhizomeError(error)?.code);
    expect(code).toBe('INVALID_REQUEST');
    const run = await cli(['get', 'doc', '--trust', '']);
    expect(run.code).not.toBe(0);
    expect(JSON.parse(run.stderr)).toMatchObject({ error: { code: 'USAGE_INVALID' } });
  });
});
