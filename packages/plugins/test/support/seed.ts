import fc from 'fast-check';

/** The seed of this run: `RHIZOME_SEED` when set (to replay a failure), else a fresh one. */
export const SEED =
  process.env['RHIZOME_SEED'] === undefined
    ? Date.now() ^ (Math.random() * 0x7fffffff)
    : Number(process.env['RHIZOME_SEED']);

/** `fc.assert` with the run's seed, printing it on failure so the run can be replayed. */
export function assertProperty(property: fc.IRawProperty<unknown>, numRuns = 100): void {
  try {
    fc.assert(property, { seed: SEED, numRuns });
  } catch (error) {
    console.error(`property failed; replay with RHIZOME_SEED=${SEED}`);
    throw error;
  }
}
