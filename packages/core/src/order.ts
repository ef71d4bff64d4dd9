import type { Delta } from './types.ts';

/**
 * The one total order of deltas: by `timeCreated`, then by id. Every node sorts the same set the
 * same way, so "latest" and "earliest" never depend on arrival order.
 */
export function compareDeltas(a: Pick<Delta, 'timeCreated' | 'id'>, b: Pick<Delta, 'timeCreated' | 'id'>): number {
  if (a.timeCreated !== b.timeCreated) return a.timeCreated < b.timeCreated ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}
