import { isReference, Vocabulary, type Delta } from '@rhizome/core';
import { ApiErrorCode, createApiError } from './errors.ts';
import { hasScope, type Principal } from './principal.ts';
import { SCHEMA_ENTITY_PREFIX } from './schema-registry.ts';

/** Looks stored deltas up by id (`DeltaStore.get`): unknown ids are left out. */
export type DeltaLookup = (ids: readonly string[]) => Promise<readonly Delta[]>;

/**
 * The write policy, applied to every delta a caller writes, whatever the route (REST, tRPC, the
 * CLI's import, batches, transactions, the negate shortcut). An admin, or a caller of a node that
 * runs open, may write anything. Anyone else:
 * - may not point at a schema entity (`_schema:*`): schemas change every reader's views;
 * - may negate only their own deltas. That covers negations of negations (restoring a delta is
 *   the negation's creator's call) and a negation whose target this node does not hold: the
 *   target could arrive later from another creator, so it is refused unless the same write
 *   carries the target, by the same creator.
 * Throws FORBIDDEN naming the first delta at fault; nothing of the write is stored then. Decides
 * at once (returns undefined) unless a negation's target must be looked up in storage.
 */
export function authorizeWrites(
  deltas: readonly Delta[],
  principal: Principal,
  lookup: DeltaLookup,
): Promise<void> | undefined {
  if (principal.open || hasScope(principal, 'admin')) return undefined;
  const negated = new Set<string>();
  for (const delta of deltas) {
    for (const pointer of delta.pointers) {
      if (!isReference(pointer.target)) continue;
      if (pointer.localContext === Vocabulary.negates) negated.add(pointer.target.id);
      else if (pointer.target.id.startsWith(SCHEMA_ENTITY_PREFIX)) {
        throw createApiError(
          ApiErrorCode.Forbidden,
          `entities "${SCHEMA_ENTITY_PREFIX}*" hold schemas; writing them needs the "admin" scope`,
          { details: { required: 'admin', entity: pointer.target.id } },
        );
      }
    }
  }
  if (negated.size === 0) return undefined;
  const creators = new Map<string, string>();
  for (const delta of deltas) creators.set(delta.id, delta.creator);
  const unknown = [...negated].filter((id) => !creators.has(id));
  if (unknown.length === 0) {
    checkNegations(negated, creators, principal);
    return undefined;
  }
  return lookup(unknown).then((stored) => {
    for (const delta of stored) creators.set(delta.id, delta.creator);
    checkNegations(negated, creators, principal);
  });
}

function checkNegations(
  negated: ReadonlySet<string>,
  creators: ReadonlyMap<string, string>,
  principal: Principal,
): void {
  for (const id of negated) {
    const creator = creators.get(id);
    if (creator === principal.creator) continue;
    throw createApiError(
      ApiErrorCode.Forbidden,
      creator === undefined
        ? `negating delta "${id}", which this node does not hold, needs the "admin" scope`
        : `negating a delta by "${creator}" needs the "admin" scope`,
      { details: { required: 'admin', delta: id, creator: creator ?? null } },
    );
  }
}
