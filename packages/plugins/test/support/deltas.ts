import {
  createDeltaBuilder,
  isReference,
  Vocabulary,
  type Delta,
  type PropertyValue,
} from '@rhizome/core';
import type { CustomResolver, EntityChange } from '../../src/index.ts';

/** Builds deltas with explicit times, the way every test here writes them. */
export function at(timeCreated: number, creator = 'alice') {
  return createDeltaBuilder({ creator, host: 'test', timeCreated });
}

export function set(
  time: number,
  entity: string,
  properties: Record<string, PropertyValue>,
  creator = 'alice',
): Delta {
  return at(time, creator).set(entity, properties).build();
}

export function negate(time: number, target: Delta | string, creator = 'alice'): Delta {
  return at(time, creator)
    .negate(typeof target === 'string' ? target : target.id)
    .build();
}

function negatedIds(delta: Delta): string[] {
  return delta.pointers
    .filter((pointer) => pointer.localContext === Vocabulary.negates && isReference(pointer.target))
    .map((pointer) => (pointer.target as { id: string }).id);
}

/**
 * The views rule for negation, small enough for tests: a delta is negated iff some negation that
 * is itself not negated targets it. Content ids make negation cycles impossible, so plain
 * recursion with a memo terminates.
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

/** A replica of one entity that receives deltas one batch at a time, in any order. */
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

/** From-scratch resolution of a delta set under the negation rule. */
export function resolveFromScratch(
  resolver: CustomResolver,
  entityId: string,
  deltas: Iterable<Delta>,
) {
  const { visible, negated } = partitionByNegation(deltas);
  return resolver.resolve(entityId, visible, negated);
}
