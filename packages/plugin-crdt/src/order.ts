/**
 * The total order of deltas, (timeCreated, id), restated so this package needs no runtime import
 * from @rhizome/core (it must agree with core's `compareDeltas`).
 */
export function compareStamps(aTime: number, aId: string, bTime: number, bId: string): number {
  if (aTime !== bTime) return aTime < bTime ? -1 : 1;
  if (aId === bId) return 0;
  return aId < bId ? -1 : 1;
}
