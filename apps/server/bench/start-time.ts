// `pnpm bench` in apps/server, start time: from spawning the node to `/readyz` answering 200, on
// PGlite, for the built server (`node dist/main.js`, what `pnpm start:prod`, the bin and the
// Docker image run) and for `pnpm start` (tsx from source), each on a fresh and on an existing
// data directory. Runs `pnpm build` output, so build first. See docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './processes.ts';

const RUNS = Number(process.env.RHIZOME_BENCH_START_RUNS ?? 5);
const serverDir = fileURLToPath(new URL('..', import.meta.url));
const ENTRIES = {
  built: ['dist/main.js'],
  'tsx (pnpm start)': ['--import', 'tsx', 'src/main.ts'],
} as const;

/** Milliseconds from spawn to the first 200 on /readyz; the child is then stopped with SIGTERM. */
async function timeStart(args: readonly string[], dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RHIZOME_DATA_DIR: dataDir,
    },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited during start`);
      if (performance.now() - started > 60_000)
        throw new Error(`${args.join(' ')}: no /readyz in 60 s`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const elapsed = performance.now() - started;
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code} after SIGTERM`);
  return elapsed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

if (!existsSync(join(serverDir, 'dist', 'main.js'))) {
  console.error('apps/server/dist/main.js is missing: run `pnpm build` first');
  process.exit(1);
}
const root = await mkdtemp(join(tmpdir(), 'rhizome-start-'));
const rows: string[] = [];
try {
  for (const [name, args] of Object.entries(ENTRIES)) {
    const fresh: number[] = [];
    const existing: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const dataDir = join(root, `${name.replace(/\W+/g, '-')}-${run}`);
      fresh.push(await timeStart(args, dataDir));
      existing.push(await timeStart(args, dataDir));
    }
    const cell = (values: number[]) =>
      `${(median(values) / 1000).toFixed(2)} s (${(Math.min(...values) / 1000).toFixed(2)}–${(Math.max(...values) / 1000).toFixed(2)})`;
    rows.push(`| ${name} | ${cell(fresh)} | ${cell(existing)} |`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
console.log(
  `Start to /readyz on PGlite, median of ${RUNS} (min–max); ${cpus().length} cores, ` +
    `load average ${loadavg()[0]!.toFixed(1)}, ${new Date().toISOString()}\n`,
);
console.log('| entry point | fresh data directory | existing data directory |');
console.log('| --- | --- | --- |');
for (const row of rows) console.log(row);
