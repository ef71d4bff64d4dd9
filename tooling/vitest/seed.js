// One seed per test run for every randomised test in the repo: RHIZOME_SEED replays a run,
// otherwise a fresh seed is drawn. A failing property prints the seed so it can be replayed.
import fc from 'fast-check';

function resolveSeed() {
  const fromEnv = process.env['RHIZOME_SEED'];
  if (fromEnv === undefined || fromEnv === '') return (Math.random() * 0x7fffffff) | 0;
  const seed = Number(fromEnv);
  if (!Number.isSafeInteger(seed))
    throw new Error(`RHIZOME_SEED must be an integer, got "${fromEnv}"`);
  return seed;
}

export const seed = resolveSeed();

export function assertProperty(property, parameters = {}) {
  const options = typeof parameters === 'number' ? { numRuns: parameters } : parameters;
  return fc.assert(property, {
    ...options,
    seed,
    reporter(details) {
      if (!details.failed) return;
      const replay = `Replay with RHIZOME_SEED=${seed} (fast-check seed ${details.seed}, path "${details.counterexamplePath ?? ''}")`;
      console.error(replay);
      throw new Error(`${fc.defaultReportMessage(details) ?? 'property failed'}\n${replay}`);
    },
  });
}
