// `pnpm bench` in apps/server, part 3: three server processes on one PostgreSQL schema. Single
// writes go to instance A at a steady rate; the bench times each from the moment its request was
// sent to its arrival on the raw delta stream (SSE) of A itself (the baseline: same instance) and
// of B and C (another instance, through NOTIFY and the feed). Real entry point, loopback, bounded.
import postgres from 'postgres';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress, quantile } from './measure.ts';
import { startChild, type Child } from './processes.ts';

const WRITES = Number(process.env.RHIZOME_BENCH_INSTANCE_WRITES ?? 500);
const RATE = Number(process.env.RHIZOME_BENCH_INSTANCE_RATE ?? 100); // writes per second
const DATABASE_URL =
  process.env.RHIZOME_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKEN = 'bench-token-0123456789';
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = `rhizome_bench_instances_${process.pid}`;

/** Reads `url`'s SSE stream, calling `onId` with each delta id as it arrives. */
async function listen(url: string, onId: (id: string) => void, signal: AbortSignal) {
  const response = await fetch(`${url}/api/deltas/stream`, {
    signal,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (!response.ok || response.body === null) throw new Error(`stream: ${response.status}`);
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      const frames = buffered.split('\n\n');
      buffered = frames.pop() ?? '';
      for (const frame of frames) {
        const data = frame.split('\n').find((line) => line.startsWith('data: '));
        if (data !== undefined) onId((JSON.parse(data.slice(6)) as { id: string }).id);
      }
    }
  } catch {
    // aborted at the end
  }
}

async function main(): Promise<void> {
  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end();
    console.log(`- instances bench skipped: ${DATABASE_URL} did not answer (${String(error)})`);
    return;
  }
  const children: Child[] = [];
  const controller = new AbortController();
  try {
    const env = (name: string) => ({
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RHIZOME_TOKENS: `${TOKEN}=bench:read+write`,
      RHIZOME_NODE_ID: name,
      DATABASE_URL,
      RHIZOME_DATABASE_SCHEMA: schema,
    });
    for (const name of ['a', 'b', 'c']) {
      progress(`starting instance ${name}`);
      children.push(await startChild('src/main.ts', env(name), '/readyz', serverDir));
    }
    const arrivals = children.map(() => new Map<string, number>());
    const streams = children.map((child, i) =>
      listen(child.url, (id) => arrivals[i]!.set(id, performance.now()), controller.signal),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    progress(`${WRITES} single writes on instance a at ${RATE}/s`);
    const sentAt = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < WRITES; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sent = performance.now();
      const response = await fetch(`${children[0]!.url}/api/entities/bench-${i % 100}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ properties: { n: i } }),
      });
      const { id } = (await response.json()) as { id: string };
      sentAt.set(id, sent);
    }
    const deadline = Date.now() + 30_000;
    while (arrivals.some((seen) => seen.size < WRITES) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await Promise.allSettled(streams);

    console.log(`\nWrite on instance a → on a raw stream (${WRITES} writes at ${RATE}/s, ms)`);
    console.log('| stream on | seen | p50 | p99 | max |');
    console.log('| --- | --- | --- | --- | --- |');
    const rows: { name: string; p50: number; p99: number }[] = [];
    for (const [i, seen] of arrivals.entries()) {
      const delays = [...sentAt].flatMap(([id, at]) => {
        const arrived = seen.get(id);
        return arrived === undefined ? [] : [arrived - at];
      });
      const name = ['a (same instance, baseline)', 'b', 'c'][i]!;
      const p50 = quantile(delays, 0.5);
      const p99 = quantile(delays, 0.99);
      rows.push({ name, p50, p99 });
      console.log(
        `| ${name} | ${delays.length}/${WRITES} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${Math.max(...delays).toFixed(1)} |`,
      );
    }
    const base = rows[0]!;
    for (const row of rows.slice(1))
      console.log(
        `- ${row.name}: p99 ${row.p99.toFixed(1)} ms, ${(row.p99 - base.p99).toFixed(1)} ms over the same-instance p99`,
      );
  } finally {
    controller.abort();
    for (const child of children.reverse()) await child.stop().catch(() => {});
    await sql.unsafe(`drop schema if exists ${schema} cascade`).catch(() => {});
    await sql.end();
  }
}

await main();
