import { isReference, Vocabulary, type Delta } from '@rhizome/core';
import type { CustomResolver } from './custom-resolver.ts';
import type { EntityChange } from './types.ts';

/**
 * Helpers for testing a resolver plugin on its own, without a view store: the views negation rule
 * over a plain set of deltas, a replica that receives deltas in any order, and from-scratch
 * resolution to compare it with. `@rhizome/plugins/testing`; see docs/plugins.md.
 */

function negatedIds(delta: Delta): string[] {
  const ids: string[] = [];
  for (const pointer of delta.pointers) {
    if (pointer.localContext === Vocabulary.negates && isReference(pointer.target)) ids.push(pointer.target.id);
  }
  return ids;
}

/**
 * The views rule for negation, small enough for tests: a delta is negated iff some negation that
 * is itself not negated targets it. Content ids make negation cycles impossible, so plain
 * recursion with a memo terminates. Deltas repeated in the input count once.
 */
export function partitionByNegation(
  deltas: Iterable<Delta>,
): Required<EntityChange> & { visible: Delta[]; negated: Delta[] } {
  const all = new Map<string, Delta>();
  for (const delta of deltas) all.set(delta.id, delta);
  const negators = new Map<string, Delta[]>();
  for (const delta of all.values()) {
    for (const target of negatedIds(delta)) {
      const list = negators.get(target) ?? [];
      list.push(delta);
      negators.set(target, list);
    }
  }
  const memo = new Map<string, boolean>();
  const isNegated = (id: string): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const result = (negators.get(id) ?? []).some((negation) => !isNegated(negation.id));
    memo.set(id, result);
    return result;
  };
  const visible: Delta[] = [];
  const negated: Delta[] = [];
  for (const delta of all.values()) (isNegated(delta.id) ? negated : visible).push(delta);
  return { visible, negated };
}

/**
 * A replica of one entity that receives deltas a batch at a time, in any order and with repeats,
 * and resolves it incrementally (`createEntity` + `apply`), as a node would.
 */
export function createReplica(resolver: CustomResolver, entityId: string) {
  const received = new Map<string, Delta>();
  const entity = resolver.createEntity(entityId);
  return {
    receive(...deltas: Delta[]) {
      for (const delta of deltas) received.set(delta.id, delta);
      entity.apply(partitionByNegation(received.values()));
    },
    view: () => entity.view(),
    entity,
  };
}

/** From-scratch resolution of a delta set under the negation rule: what every replica must show. */
export function resolveFromScratch(resolver: CustomResolver, entityId: string, deltas: Iterable<Delta>) {
  const { visible, negated } = partitionByNegation(deltas);
  return resolver.resolve(entityId, visible, negated);
}

/** Every order of a small array (n! of them): for checking that arrival order does not matter. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  const result: T[][] = [];
  items.forEach((item, index) => {
    for (const rest of permutations([...items.slice(0, index), ...items.slice(index + 1)]))
      result.push([item, ...rest]);
  });
  return result;
}
