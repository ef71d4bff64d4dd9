import type { Delta } from '@rhizome/core';
import type { DeltaIndex } from './delta-index.ts';
import {
  forEachHyperviewSlot,
  negatedIdsOf,
  transactionDeclarationsOf,
  transactionIdsOf,
} from './delta-shape.ts';
import { createVisibility } from './visibility.ts';
import { isReservedPointer } from './vocabulary.ts';

/** A stored delta that became visible, or stopped being visible, under the default read. */
export interface VisibilityChange {
  readonly delta: Delta;
  readonly visible: boolean;
}

/**
 * What a batch just ingested into the index may have changed: the entities whose visible deltas
 * may differ (`entities`) and the deltas whose visibility may differ (`deltas`, by id): the batch
 * itself and, through negation targets and transaction partners, every delta whose visibility
 * can depend on it. Costs in proportion to those deltas, not to the store.
 */
export interface BatchReach {
  readonly entities: Set<string>;
  readonly deltas: Map<string, Delta>;
}

/** No machinery in it or aimed at it: the delta is simply one more visible delta. */
function isPlainAddition(index: DeltaIndex, delta: Delta): boolean {
  const pointers = delta.pointers;
  for (let i = 0; i < pointers.length; i++) if (isReservedPointer(pointers[i]!)) return false;
  return index.negationsOf(delta.id).length === 0;
}

export function collectBatchReach(index: DeltaIndex, batch: readonly Delta[]): BatchReach {
  const entities = new Set<string>();
  const deltas = new Map<string, Delta>();
  const seenTransactions = new Set<string>();
  const addEntity = (entityId: string): void => {
    entities.add(entityId);
  };
  for (const delta of batch) {
    if (isPlainAddition(index, delta)) {
      deltas.set(delta.id, delta);
      forEachHyperviewSlot(delta, addEntity);
      continue;
    }
    const stack: Delta[] = [delta];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (deltas.has(current.id)) continue;
      deltas.set(current.id, current);
      forEachHyperviewSlot(current, addEntity);
      for (const id of negatedIdsOf(current)) {
        const target = index.get(id);
        if (target !== undefined) stack.push(target);
      }
      const transactions = [
        ...transactionIdsOf(current),
        ...transactionDeclarationsOf(current).map((declaration) => declaration.transactionId),
      ];
      for (const tx of transactions) {
        if (seenTransactions.has(tx)) continue;
        seenTransactions.add(tx);
        for (const member of index.transactionMembers(tx)) stack.push(member);
      }
    }
  }
  return { entities, deltas };
}

/**
 * The deltas in `reach` whose visibility under the default read differs between the store without
 * the batch and the store with it. When the batch is only plain additions, that is the batch;
 * otherwise both visibilities are computed over the reached deltas only.
 */
export function collectVisibilityChanges(
  index: DeltaIndex,
  batch: readonly Delta[],
  reach: BatchReach,
): VisibilityChange[] {
  const changes: VisibilityChange[] = [];
  const batchIds = new Set<string>();
  for (const delta of batch) batchIds.add(delta.id);
  let plain = true;
  for (const delta of reach.deltas.values()) {
    if (!batchIds.has(delta.id) || !isPlainAddition(index, delta)) {
      plain = false;
      break;
    }
  }
  if (plain) {
    for (const delta of reach.deltas.values()) changes.push({ delta, visible: true });
    return changes;
  }
  const before = createVisibility(index, {
    filter: { predicate: (delta) => !batchIds.has(delta.id) },
  });
  const after = createVisibility(index);
  for (const delta of reach.deltas.values()) {
    const was = !batchIds.has(delta.id) && before.isVisible(delta);
    const is = after.isVisible(delta);
    if (was !== is) changes.push({ delta, visible: is });
  }
  return changes;
}
