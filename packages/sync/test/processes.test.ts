import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./support/node-process.ts', import.meta.url));

interface NodeProcess {
  readonly port: number;
  send(command: string): Promise<string>;
  kill(): void;
}

/** Starts one node process and waits for `ready`. */
async function startNode(args: string[]): Promise<NodeProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const early: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next === undefined) early.push(line);
    else next(line);
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const line = early.shift();
      if (line !== undefined) return resolve(line);
      waiting.push(resolve);
      child.once('exit', () => reject(new Error(`node ${args[0]} exited: ${stderr}`)));
    });
  const ready = await nextLine();
  return {
    port: Number(ready.split(' ')[1]),
    send(command) {
      child.stdin.write(`${command}\n`);
      return nextLine();
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

async function waitForConvergence(nodes: NodeProcess[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(nodes.map((node) => node.send('status')));
    const digests = statuses.map((status) => status.split(' ').slice(1, 3).join(' '));
    if (digests.every((digest) => digest === digests[0])) return statuses;
    if (Date.now() > deadline) throw new Error(`no convergence: ${statuses.join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('three node processes over WebSockets on 127.0.0.1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rhizome-sync-'));
  const running: NodeProcess[] = [];
  afterAll(() => {
    for (const node of running) node.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('survives kill -9 of one node mid-stream; it restarts and catches up from its cursor', { timeout: 90_000 }, async () => {
    const a = await startNode(['a', join(dir, 'a'), '0']);
    const b = await startNode(['b', join(dir, 'b'), '0', `ws://127.0.0.1:${a.port}`]);
    let c = await startNode(['c', join(dir, 'c'), '0', `ws://127.0.0.1:${b.port}`, `ws://127.0.0.1:${a.port}`]);
    running.push(a, b, c);
    await a.send('write 2000 1');
    await waitForConvergence([a, b, c], 30_000);
    // Let idle links tell each peer its cursor even into feeds holding only the peer's own deltas.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Kill c while a stream of new deltas is flowing to it.
    const writing = a.send('write 3000 2');
    c.kill();
    await writing;
    await b.send('write 500 3');
    await a.send('write 200 4');

    const cPort = c.port;
    c = await startNode(['c', join(dir, 'c'), String(cPort), `ws://127.0.0.1:${b.port}`, `ws://127.0.0.1:${a.port}`]);
    running.push(c);
    const statuses = await waitForConvergence([a, b, c], 30_000);
    expect(statuses[2]!.split(' ')[1]).toBe('5700');
    // c resumed from its cursors, without reconciliation, and received only what it missed (once
    // through each of its two peers at most), not the history it already held.
    const [, , , received, reconciliations] = statuses[2]!.split(' ').map(Number);
    expect(reconciliations).toBe(0);
    expect(received).toBeLessThanOrEqual(2 * (5700 - 2000));
  });
});
