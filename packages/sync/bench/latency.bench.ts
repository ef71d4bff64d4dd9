/**
 * Live propagation latency over WebSockets on 127.0.0.1: three node processes in a line,
 * a ← b ← c (b pulls from a, c from b), a steady write rate on a (RHIZOME_BENCH_RATES, default
 * 1000,10000 deltas/s, for RHIZOME_BENCH_SECONDS, default 3 s each). Each delta carries its write
 * time; b (one hop) and c (two hops) time its append against the same monotonic clock. Run with lazy
 * push (default: b announces a's deltas to c by id until the link turns eager) and without.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { printRows } from './support/socket.ts';

const rates = (process.env.RHIZOME_BENCH_RATES ?? '1000,10000').split(',').map(Number);
const seconds = Number(process.env.RHIZOME_BENCH_SECONDS ?? 3);
const script = fileURLToPath(new URL('./support/live-node.ts', import.meta.url));

interface LiveNode {
  readonly port: number;
  ask(command: string): Promise<string>;
  stop(): void;
}

async function startNode(args: string[]): Promise<LiveNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const ready = await next();
  return {
    port: Number(ready.split(' ')[1]),
    ask(command) {
      const answer = next();
      child.stdin.write(`${command}\n`);
      return answer;
    },
    stop() {
      child.stdin.end();
    },
  };
}

async function measure(rate: number, mode: 'lazy' | 'eager'): Promise<string> {
  const a = await startNode(['a', mode]);
  const b = await startNode(['b', mode, `ws://127.0.0.1:${a.port}`]);
  const c = await startNode(['c', mode, `ws://127.0.0.1:${b.port}`]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const total = rate * seconds;
  await a.ask(`write ${rate} ${seconds}`);
  // Wait until c has everything (or 30 s), then read both reports.
  const deadline = Date.now() + 30_000;
  let reports: string[][] = [];
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [hop1, hop2] = await Promise.all([b.ask('peek'), c.ask('peek')]);
    if ((Number(hop1!.split(' ')[1]) >= total && Number(hop2!.split(' ')[1]) >= total) || Date.now() > deadline) break;
  }
  reports = (await Promise.all([b.ask('report'), c.ask('report')])).map((line) => line.split(' '));
  for (const node of [a, b, c]) node.stop();
  const [hop1, hop2] = reports as [string[], string[]];
  if (Number(hop2[1]) < total) throw new Error(`only ${hop2[1]} of ${total} deltas reached c`);
  return `a→b ${hop1[2]} / ${hop1[3]}   a→b→c ${hop2[2]} / ${hop2[3]}`;
}

const rows: [string, string][] = [];
for (const rate of rates) {
  rows.push([`${rate.toLocaleString('en')} deltas/s, lazy push (default)`, await measure(rate, 'lazy')]);
  rows.push([`${rate.toLocaleString('en')} deltas/s, eager (lazyPush: false)`, await measure(rate, 'eager')]);
}
printRows(`live propagation latency, ms p50 / p99, three processes (${seconds} s per rate; target p99 < 50 ms at 1,000/s)`, rows);
