import type { Delta } from '@rhizome/core';
import { listNegatedIds } from './filter.ts';
import { checkPeerPolicy, needsNegatedCreators, type PeerPolicy } from './peer-policy.ts';
import type { SyncStore } from './store.ts';

export interface RefusedDelta {
  readonly delta: Delta;
  readonly reason: string;
}

/**
 * Splits a received batch by a link's policy. Creators of negated deltas are looked up in one
 * `getMany` call (the batch itself first), only when the policy asks about negations.
 */
export async function admitDeltas(
  policy: PeerPolicy,
  deltas: readonly Delta[],
  store: Pick<SyncStore, 'getMany'>,
): Promise<{ admitted: Delta[]; refused: RefusedDelta[] }> {
  const creators = new Map<string, string>();
  if (needsNegatedCreators(policy)) {
    for (const delta of deltas) creators.set(delta.id, delta.creator);
    const missing = [...new Set(deltas.flatMap(listNegatedIds))].filter((id) => !creators.has(id));
    if (missing.length > 0) for (const held of await store.getMany(missing)) creators.set(held.id, held.creator);
  }
  const admitted: Delta[] = [];
  const refused: RefusedDelta[] = [];
  for (const delta of deltas) {
    const reason = checkPeerPolicy(policy, delta, (id) => creators.get(id));
    if (reason === undefined) admitted.push(delta);
    else refused.push({ delta, reason });
  }
  return { admitted, refused };
}
