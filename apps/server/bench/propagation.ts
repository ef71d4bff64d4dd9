// `pnpm bench` in apps/server: live propagation over three server processes in a line, A ← B ← C
// (B dials A, C dials B; each on its own PGlite), issue 17 goal 2. Writes go to A at a steady
// rate, in 10 ms ticks of `rate / 100` deltas (one POST each); each delta is timed from the moment
// its request was sent to its arrival on C's raw delta stream. The same-run baseline is its arrival
// on A's own stream (write → visible on the writer). Real entry point, loopback, PGlite.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backend,
  dropSchemas,
  listenToDeltas,
  peerEnv,
  startPeerNode,
  summarise,
  waitFor,
} from './mesh-support.ts';
import { progress, quantile } from './measure.ts';
import type { Child } from './processes.ts';

const RATES = (process.env.RHIZOME_BENCH_PROPAGATION_RATES ?? '1000,10000')
  .split(',')
  .map((rate) => Number(rate.trim()));
const SECONDS = Number(process.env.RHIZOME_BENCH_PROPAGATION_SECONDS ?? 3);
const RUNS = Number(process.env.RHIZOME_BENCH_PROPAGATION_RUNS ?? 3);
const TICK_MS = 10;

interface RunResult {
  readonly seenA: number;
  readonly seenC: number;
  readonly sent: number;
  readonly a: { p50: number; p99: number };
  readonly c: { p50: number; p99: number };
  /** POST sent → answered, p99 (ms). */
  readonly ack: number;
}

async function run(
  writer: Child,
  streams: readonly Map<number, number>[],
  rate: number,
  offset: number,
): Promise<RunResult> {
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const ticks = Math.round((SECONDS * 1000) / TICK_MS);
  const sentAt = new Map<number, number>();
  const pending: Promise<void>[] = [];
  const acks: number[] = [];
  const started = performance.now();
  let next = offset;
  for (let tick = 0; tick < ticks; tick++) {
    const wait = started + tick * TICK_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const deltas: string[] = [];
    const sent = performance.now();
    for (let i = 0; i < perTick; i++) {
      const n = next++;
      sentAt.set(n, sent);
      deltas.push(
        `{"pointers":[{"localContext":"entity","target":{"id":"p${n % 500}"},"targetContext":"n"},{"localContext":"n","target":${n}}]}`,
      );
    }
    pending.push(
      fetch(`${writer.url}/api/deltas`, {
        method: 'POST',
        headers: peerEnv.writeHeaders,
        body: `{"deltas":[${deltas.join(',')}]}`,
      }).then(async (response) => {
        if (!response.ok) throw new Error(`POST: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        acks.push(performance.now() - sent);
      }),
    );
  }
  await Promise.all(pending);
  await waitFor(() => [...sentAt.keys()].every((n) => streams[1]!.has(n)), 30_000);
  const delays = (seen: Map<number, number>) =>
    [...sentAt].flatMap(([n, at]) => {
      const arrived = seen.get(n);
      return arrived === undefined ? [] : [arrived - at];
    });
  const [a, c] = [delays(streams[0]!), delays(streams[1]!)];
  return {
    sent: sentAt.size,
    seenA: a.length,
    seenC: c.length,
    a: { p50: quantile(a, 0.5), p99: quantile(a, 0.99) },
    c: { p50: quantile(c, 0.5), p99: quantile(c, 0.99) },
    ack: quantile(acks, 0.99),
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rhizome-bench-propagation-'));
  const children: Child[] = [];
  const controller = new AbortController();
  let listening: Promise<void>[] = [];
  try {
    progress(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; starting A ← B ← C`,
    );
    const a = await startPeerNode(dir, 'a', []);
    children.push(a);
    const b = await startPeerNode(dir, 'b', [a]);
    children.push(b);
    const c = await startPeerNode(dir, 'c', [b]);
    children.push(c);
    const streams = [new Map<number, number>(), new Map<number, number>()];
    listening = [a, c].map((child, i) =>
      listenToDeltas(
        child.url,
        (delta) => {
          const value = (delta as { pointers: { localContext: string; target: unknown }[] })
            .pointers[1]?.target;
          if (typeof value === 'number') streams[i]!.set(value, performance.now());
        },
        controller.signal,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    let offset = 0;
    // A warm-up run at the first rate (not counted): the processes' JIT and caches settle.
    progress('warm-up run');
    await run(a, streams, RATES[0]!, offset);
    offset += RATES[0]! * SECONDS + 1000;
    console.log(
      `\nLive propagation A → B → C, three server processes (${backend}), ${SECONDS} s per run, ${RUNS} runs per rate`,
    );
    console.log(
      '| rate (deltas/s) | C p99 ms min / median / max | C p50 ms median | A p99 ms (baseline) median | C p99 / A p99 median | POST answered p99 ms median | seen at C |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const rate of RATES) {
      const results: RunResult[] = [];
      for (let r = 0; r < RUNS; r++) {
        progress(`rate ${rate}/s, run ${r + 1}/${RUNS}`);
        results.push(await run(a, streams, rate, offset));
        offset += rate * SECONDS + 1000;
      }
      const cp99 = summarise(results.map((result) => result.c.p99));
      const cp50 = summarise(results.map((result) => result.c.p50));
      const ap99 = summarise(results.map((result) => result.a.p99));
      const ratio = summarise(results.map((result) => result.c.p99 / result.a.p99));
      const seen = results.map((result) => `${result.seenC}/${result.sent}`).join(', ');
      console.log(
        `| ${rate.toLocaleString('en-US')} | ${cp99.min.toFixed(1)} / ${cp99.median.toFixed(1)} / ${cp99.max.toFixed(1)} | ${cp50.median.toFixed(1)} | ${ap99.median.toFixed(1)} | ${ratio.median.toFixed(2)}× | ${summarise(results.map((result) => result.ack)).median.toFixed(1)} | ${seen} |`,
      );
    }
    progress(
      `load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    controller.abort();
    await Promise.allSettled(listening);
    for (const child of children.reverse()) await child.stop().catch(() => {});
    await dropSchemas(['a', 'b', 'c']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
