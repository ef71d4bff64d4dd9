/**
 * `pnpm bench`: runs every sync benchmark, each in its own process (so one's heap does not weigh on
 * the next), one after another. Sizes: RHIZOME_BENCH_DELTAS (catch-up, default 1,000,000),
 * RHIZOME_BENCH_RECONCILE_DELTAS (default 100,000), RHIZOME_BENCH_RATES and RHIZOME_BENCH_SECONDS
 * (latency). Pass names to run only some: `pnpm bench latency reconcile`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const all = ['catch-up', 'latency', 'reconcile'];
const chosen = process.argv.slice(2).filter((name) => name !== '--');
const names = chosen.length > 0 ? chosen : all;
for (const name of names) {
  if (!all.includes(name)) throw new Error(`unknown benchmark "${name}"; choose from ${all.join(', ')}`);
  const file = fileURLToPath(new URL(`./${name}.bench.ts`, import.meta.url));
  const result = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', file], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
