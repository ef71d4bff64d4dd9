import { compareDeltas, type Delta } from '@rhizome/core';
import { listTransactionIds } from './pointers.ts';

/** Returns every stored delta with a reference pointer at any of `targetIds`. */
export type FetchReferencing = (targetIds: readonly string[]) => Promise<readonly Delta[]>;

/**
 * The closure of `entityIds` (see `DeltaStore.closure`), walked breadth-first so that a backend
 * answers it in one query per hop: deltas at the entities, then deltas at those deltas
 * (negations, negations of negations), and the declarations and members of any transaction met
 * on the way. Shared by every backend so that they agree on what a closure is.
 */
export async function collectClosure(
  entityIds: readonly string[],
  fetchReferencing: FetchReferencing,
  asOf?: number,
): Promise<Delta[]> {
  const found = new Map<string, Delta>();
  const visited = new Set<string>();
  let frontier = [...new Set(entityIds)];
  while (frontier.length > 0) {
    for (const id of frontier) visited.add(id);
    const next = new Set<string>();
    for (const delta of await fetchReferencing(frontier)) {
      if (found.has(delta.id) || (asOf !== undefined && delta.timeCreated > asOf)) continue;
      found.set(delta.id, delta);
      for (const id of [delta.id, ...listTransactionIds(delta)]) if (!visited.has(id)) next.add(id);
    }
    frontier = [...next];
  }
  return [...found.values()].sort(compareDeltas);
}
