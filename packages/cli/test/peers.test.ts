import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, parseError, runCli } from './helpers.ts';

// Two real nodes, each `rhizome serve` in its own process on its own PGlite directory, linked
// with `rhizome peers add` and read back through the CLI: the path a user takes. The added peer
// survives a restart of the node, and `rhizome peers remove` ends the link for good.

interface ServedNode {
  readonly url: string;
  readonly child: ChildProcess;
}

let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-cli-peers-'));
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

function serve(name: string): Promise<ServedNode> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', join(dir, name), '--node-id', name, '--json'],
    { env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let buffer = '';
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.includes('"url"'));
      if (line !== undefined) resolve({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.once('exit', (code) => reject(new Error(`serve ${name} exited with ${code}: ${errors}`)));
  });
}

/**
 * Waits (polling the REST API, which is cheaper than starting a CLI process per try) until the
 * entity shows `expected`, then reads it once more through `rhizome get`.
 */
async function waitForView(url: string, entity: string, expected: Record<string, unknown>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const matches = (view: Record<string, unknown>) =>
    Object.entries(expected).every(([key, value]) => view[key] === value);
  let last = '';
  for (;;) {
    const response = await fetch(`${url}/api/entities/${entity}`);
    last = await response.text();
    if (response.status === 200 && matches(JSON.parse(last) as Record<string, unknown>)) break;
    if (Date.now() > deadline) {
      throw new Error(`${entity} never showed ${JSON.stringify(expected)} at ${url}; last answer: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = await runCli(['get', entity, '--json'], { url });
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject(expected);
}

async function stop(node: ServedNode): Promise<void> {
  if (node.child.exitCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  await exited;
}

interface PeerJson {
  address: string | null;
  direction: string;
  origin: string | null;
  nodeId: string | null;
  state: string;
  lastError: string | null;
}

describe('two servers synced through the CLI', () => {
  it('serve twice, peers add, write on one, read on the other (both ways), restart, peers remove', async () => {
    const [a, b] = await Promise.all([serve('node-a'), serve('node-b')]);
    const bSync = `${b.url.replace('http://', 'ws://')}/sync`;

    const added = await runCli(['peers', 'add', b.url, '--json'], { url: a.url });
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      peer: { address: bSync, direction: 'outbound' },
    });

    // Written before and after the link opens: catch-up and live push both carry it.
    expect((await runCli(['put', 'ada', 'name=Ada', 'born=1815'], { url: a.url })).code).toBe(0);
    await waitForView(b.url, 'ada', { name: 'Ada', born: 1815 });
    expect((await runCli(['put', 'grace', 'name=Grace'], { url: b.url })).code).toBe(0);
    await waitForView(a.url, 'grace', { name: 'Grace' });
    expect((await runCli(['put', 'ada', 'name=Ada Lovelace'], { url: a.url })).code).toBe(0);
    await waitForView(b.url, 'ada', { name: 'Ada Lovelace' });

    const onA = JSON.parse((await runCli(['peers', '--json'], { url: a.url })).stdout) as {
      peers: PeerJson[];
    };
    expect(onA.peers).toEqual([
      expect.objectContaining({
        address: bSync,
        direction: 'outbound',
        nodeId: 'node-b',
        state: 'open',
        lastError: null,
      }),
    ]);
    const onB = JSON.parse((await runCli(['peers', '--json'], { url: b.url })).stdout) as {
      peers: PeerJson[];
    };
    expect(onB.peers).toEqual([
      expect.objectContaining({ direction: 'inbound', nodeId: 'node-a', state: 'open' }),
    ]);

    const table = await runCli(['peers'], { url: a.url });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('node-b');
    expect(table.stdout).toContain('open');

    // Both nodes hold the same deltas.
    const [statusA, statusB] = await Promise.all([
      runCli(['status', '--json'], { url: a.url }),
      runCli(['status', '--json'], { url: b.url }),
    ]);
    expect(JSON.parse(statusA.stdout).deltas).toBe(3);
    expect(JSON.parse(statusB.stdout).deltas).toBe(3);

    // Adding the same peer again, or something that is not an address, is refused.
    const again = await runCli(['peers', 'add', bSync, '--json'], { url: a.url });
    expect(again.code).not.toBe(0);
    expect(parseError(again).code).toBe('PEER_EXISTS');
    const bad = await runCli(['peers', 'add', 'ftp://example.org', '--json'], { url: a.url });
    expect(bad.code).not.toBe(0);
    expect(parseError(bad).code).toBe('INVALID_REQUEST');

    // The added peer is saved in A's storage: a restart on the same directory dials it again.
    await stop(a);
    let restarted = await serve('node-a');
    const listed = async (url: string) =>
      (JSON.parse((await runCli(['peers', '--json'], { url })).stdout) as { peers: PeerJson[] })
        .peers;
    expect(await listed(restarted.url)).toEqual([
      expect.objectContaining({ address: bSync, direction: 'outbound', origin: 'api' }),
    ]);
    expect((await runCli(['put', 'alan', 'name=Alan'], { url: restarted.url })).code).toBe(0);
    await waitForView(b.url, 'alan', { name: 'Alan' });

    // Removed (given as http://, as it was added): the link closes and stays closed.
    const removed = await runCli(['peers', 'remove', b.url], { url: restarted.url });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`peer removed: ${bSync}\n`);
    expect(await listed(restarted.url)).toEqual([]);
    const missing = await runCli(['peers', 'remove', bSync, '--json'], { url: restarted.url });
    expect(missing.code).toBe(3);
    expect(parseError(missing).code).toBe('PEER_NOT_FOUND');
    const noAddress = await runCli(['peers', 'remove', '--json'], { url: restarted.url });
    expect(noAddress.code).toBe(2);
    expect(parseError(noAddress).code).toBe('USAGE_INVALID');
    await stop(restarted);
    restarted = await serve('node-a');
    expect(await listed(restarted.url)).toEqual([]);
  }, 180_000);
});
