import { canonicalJson, isReference, Vocabulary, type Delta } from '@rhizome/core';
import { z } from 'zod';

const name = z.string().min(1).max(512);

/**
 * A per-link filter: the puller receives only deltas that match it, plus every negation of a
 * delta it received, transitively (so a filtered replica never shows a negated delta as live).
 * Every field given must hold; an empty filter matches everything.
 */
export const deltaFilterSchema = z.strictObject({
  /** Deltas with a pointer at one of these entities. */
  entities: z.array(name).max(1024).optional(),
  creators: z.array(name).max(1024).optional(),
  hosts: z.array(name).max(1024).optional(),
  /**
   * The puller's own hosts. Their deltas are not sent (the puller wrote them), but every negation
   * of them is, transitively, even when the negated delta does not match the filter.
   */
  ownHosts: z.array(name).max(64).optional(),
});

export type DeltaFilter = z.infer<typeof deltaFilterSchema>;

export function matchesFilter(filter: DeltaFilter, delta: Delta): boolean {
  if (filter.creators !== undefined && !filter.creators.includes(delta.creator)) return false;
  if (filter.hosts !== undefined && !filter.hosts.includes(delta.host)) return false;
  if (filter.entities === undefined) return true;
  const entities = filter.entities;
  return delta.pointers.some(
    (pointer) => pointer.localContext !== Vocabulary.negates && isReference(pointer.target) && entities.includes(pointer.target.id),
  );
}

/** Whether a delta was written by one of the puller's own hosts (see `DeltaFilter.ownHosts`). */
export function isOwnDelta(filter: DeltaFilter, delta: Delta): boolean {
  return filter.ownHosts !== undefined && filter.ownHosts.includes(delta.host);
}

/** The ids a delta negates. */
export function listNegatedIds(delta: Delta): string[] {
  const ids: string[] = [];
  for (const pointer of delta.pointers) {
    if (pointer.localContext === Vocabulary.negates && isReference(pointer.target)) ids.push(pointer.target.id);
  }
  return ids;
}

/** A stable key of a filter (order of list entries ignored), stored with cursors: '' for none. */
export function computeFilterKey(filter: DeltaFilter | undefined): string {
  if (filter === undefined) return '';
  const sorted = (list: readonly string[] | undefined) => (list === undefined ? undefined : [...new Set(list)].sort());
  return canonicalJson({
    entities: sorted(filter.entities),
    creators: sorted(filter.creators),
    hosts: sorted(filter.hosts),
    ownHosts: sorted(filter.ownHosts),
  });
}
