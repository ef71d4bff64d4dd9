// One seed per test run for every randomised test: RHIZOME_SEED replays a run, otherwise a fresh
// seed is drawn. A failing property reports the seed so the failure can be replayed.
import fc from 'fast-check';

function resolveSeed(): number {
  const fromEnv = process.env['RHIZOME_SEED'];
  if (fromEnv === undefined || fromEnv === '') return (Math.random() * 0x7fffffff) | 0;
  const seed = Number(fromEnv);
  if (!Number.isSafeInteger(seed)) throw new Error(`RHIZOME_SEED must be an integer, got "${fromEnv}"`);
  return seed;
}

export const seed = resolveSeed();

/** fc.assert with the run's seed; on failure the error names the seed to replay with. */
export function assertProperty<Ts>(property: fc.IProperty<Ts>, parameters: fc.Parameters<Ts> = {}): void {
  fc.assert(property, {
    ...parameters,
    seed,
    reporter(details) {
      if (!details.failed) return;
      const replay = `Replay with RHIZOME_SEED=${seed} (fast-check seed ${details.seed}, path "${details.counterexamplePath ?? ''}")`;
      console.error(replay);
      throw new Error(`${fc.defaultReportMessage(details) ?? 'property failed'}\n${replay}`);
    },
  });
}
