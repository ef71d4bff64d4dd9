import {
  createDeltaBuilder,
  isReference,
  Vocabulary,
  type Delta,
  type Primitive,
} from '@rhizome/core';
import type { CustomResolver } from '@rhizome/plugins';
import { counterChangePointers, sequenceInsertPointers, setAddPointers } from '../../src/index.ts';

export const builder = (timeCreated: number, creator = 'alice') =>
  createDeltaBuilder({ creator, host: 'test', timeCreated });

function withPointers(
  timeCreated: number,
  creator: string,
  pointers: ReturnType<typeof setAddPointers>,
): Delta {
  const b = builder(timeCreated, creator);
  for (const pointer of pointers) b.pointer(pointer);
  return b.build();
}

export const insertAfter = (
  time: number,
  creator: string,
  after: string | undefined,
  value: Primitive,
  entity = 'doc',
) =>
  withPointers(time, creator, sequenceInsertPointers({ entity, property: 'text', after, value }));

export const counterChange = (time: number, creator: string, amount: number) =>
  withPointers(time, creator, counterChangePointers({ entity: 'c', property: 'n', amount }));

export const setAdd = (time: number, creator: string, value: Primitive) =>
  withPointers(time, creator, setAddPointers({ entity: 's', property: 'tags', value }));

export const negate = (time: number, target: Delta, creator = 'alice') =>
  builder(time, creator).negate(target.id).build();

/** The views negation rule (a delta is negated iff a non-negated negation targets it), for tests. */
export function partitionByNegation(deltas: Iterable<Delta>): {
  visible: Delta[];
  negated: Delta[];
} {
  const all = new Map<string, Delta>();
  for (const delta of deltas) all.set(delta.id, delta);
  const negators = new Map<string, Delta[]>();
  for (const delta of all.values()) {
    for (const pointer of delta.pointers) {
      if (pointer.localContext !== Vocabulary.negates || !isReference(pointer.target)) continue;
      const list = negators.get(pointer.target.id) ?? [];
      list.push(delta);
      negators.set(pointer.target.id, list);
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

/** A node that receives deltas in any order and resolves one entity incrementally. */
export function createReplica(resolver: CustomResolver, entityId: string) {
  const received = new Map<string, Delta>();
  const entity = resolver.createEntity(entityId);
  return {
    receive(...deltas: Delta[]) {
      for (const delta of deltas) received.set(delta.id, delta);
      entity.apply(partitionByNegation(received.values()));
    },
    view: () => entity.view(),
  };
}

export function resolveFromScratch(
  resolver: CustomResolver,
  entityId: string,
  deltas: Iterable<Delta>,
) {
  const { visible, negated } = partitionByNegation(deltas);
  return resolver.resolve(entityId, visible, negated);
}

/** Every permutation of a small array. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  const result: T[][] = [];
  items.forEach((item, index) => {
    for (const rest of permutations([...items.slice(0, index), ...items.slice(index + 1)]))
      result.push([item, ...rest]);
  });
  return result;
}
