import { isReference, Vocabulary, type Delta } from '@rhizome/core';
import { z } from 'zod';
import { listNegatedIds } from './filter.ts';

/** Entities whose deltas define schemas; a schema changes every reader's views. */
const SCHEMA_ENTITY_PREFIX = '_schema:';

/**
 * What this node takes from one peer. Every field narrows; an absent field allows everything.
 * A delta outside is refused, reported to the peer (`SYNC_DELTA_REFUSED`, not fatal) and not
 * stored; the rest of its batch is.
 */
export const peerPolicySchema = z.strictObject({
  /** Creators whose deltas the peer may hand over. */
  creators: z.array(z.string().min(1).max(512)).max(4096).optional(),
  /** Every entity a delta points at must start with one of these (negated deltas aside). */
  entityPrefixes: z.array(z.string().min(1).max(512)).max(4096).optional(),
  /** Whether deltas pointing at `_schema:*` entities are taken (default true). */
  schemas: z.boolean().optional(),
  /**
   * Whether a negation may target another creator's delta (default true). When false, a negation
   * is taken only if its target is held (or in the same batch) and by the same creator.
   */
  negateOthers: z.boolean().optional(),
});

export type PeerPolicy = z.infer<typeof peerPolicySchema>;

/** Why a delta falls outside the policy, or undefined when it may be stored. */
export function checkPeerPolicy(
  policy: PeerPolicy,
  delta: Delta,
  creatorOf: (id: string) => string | undefined,
): string | undefined {
  if (policy.creators !== undefined && !policy.creators.includes(delta.creator)) {
    return `creator "${delta.creator}" is not one this peer may replicate`;
  }
  for (const pointer of delta.pointers) {
    if (pointer.localContext === Vocabulary.negates || !isReference(pointer.target)) continue;
    const id = pointer.target.id;
    if (policy.schemas === false && id.startsWith(SCHEMA_ENTITY_PREFIX)) {
      return `schema entity "${id}" may not be replicated by this peer`;
    }
    if (policy.entityPrefixes !== undefined && !policy.entityPrefixes.some((prefix) => id.startsWith(prefix))) {
      return `entity "${id}" is outside the prefixes this peer may replicate`;
    }
  }
  if (policy.negateOthers === false) {
    for (const target of listNegatedIds(delta)) {
      const creator = creatorOf(target);
      if (creator === undefined) return `negates ${target}, which this node does not hold`;
      if (creator !== delta.creator) return `negates a delta of "${creator}", another creator`;
    }
  }
  return undefined;
}

/** Whether the policy needs the creators of negated deltas. */
export function needsNegatedCreators(policy: PeerPolicy): boolean {
  return policy.negateOthers === false;
}
