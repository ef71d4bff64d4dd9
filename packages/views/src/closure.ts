import type { Delta } from '@rhizome/core';
import type { DeltaIndex } from './delta-index.ts';
import { transactionIdsOf } from './delta-shape.ts';

/**
 * What a storage backend must be able to look up to load an entity's closure. Each call returns
 * every stored delta matching, in any order; duplicates are harmless.
 */
export interface ClosureSource {
  /** Deltas with a non-reserved reference pointer at the entity that has a targetContext. */
  entityDeltas(entityId: string): Iterable<Delta>;
  /** Deltas with a `negates` pointer at the delta id. */
  negationsOf(deltaId: string): Iterable<Delta>;
  /** Declarations and members of the transaction (`_transaction` pointers at its id). */
  transactionParts(transactionId: string): Iterable<Delta>;
}

/**
 * The deltas that decide an entity's hyperview and views (docs/semantics.md, "Entity closure"):
 * start from the entity's deltas; then, for every delta in the set, add the negations that target
 * it and, if it is a transaction member, every declaration and member of its transactions; repeat
 * until nothing is added. Resolving from exactly this set gives the same result, for every read
 * option, as resolving from the whole store. A backend can load it with a recursive query.
 */
export function collectEntityClosure(source: ClosureSource, entityId: string): Delta[] {
  const found = new Map<string, Delta>();
  const queue: Delta[] = [];
  const add = (delta: Delta): void => {
    if (found.has(delta.id)) return;
    found.set(delta.id, delta);
    queue.push(delta);
  };
  const seenTransactions = new Set<string>();
  for (const delta of source.entityDeltas(entityId)) add(delta);
  for (let i = 0; i < queue.length; i++) {
    const delta = queue[i]!;
    for (const negation of source.negationsOf(delta.id)) add(negation);
    for (const tx of transactionIdsOf(delta)) {
      if (seenTransactions.has(tx)) continue;
      seenTransactions.add(tx);
      for (const part of source.transactionParts(tx)) add(part);
    }
  }
  return [...found.values()];
}

/** An in-memory `ClosureSource` over an index. */
export function createIndexClosureSource(index: DeltaIndex): ClosureSource {
  return {
    *entityDeltas(entityId) {
      const properties = index.entityProperties(entityId);
      if (properties === undefined) return;
      for (const deltas of properties.values()) yield* deltas;
    },
    negationsOf: (deltaId) => index.negationsOf(deltaId),
    transactionParts: (tx) => [...index.transactionDeclarations(tx), ...index.transactionMembers(tx)],
  };
}

/** A batched, asynchronous `ClosureSource`, one query per round (e.g. `WHERE target = ANY($1)`). */
export interface BatchClosureSource {
  entityDeltas(entityId: string): Promise<Iterable<Delta>>;
  negationsOf(deltaIds: readonly string[]): Promise<Iterable<Delta>>;
  transactionParts(transactionIds: readonly string[]): Promise<Iterable<Delta>>;
}

/**
 * `collectEntityClosure` for a backend that answers in batches: the same set of deltas, loaded in
 * rounds (each round asks for the negations and transaction parts of the previous round's deltas).
 */
export async function loadEntityClosure(source: BatchClosureSource, entityId: string): Promise<Delta[]> {
  const found = new Map<string, Delta>();
  const seenTransactions = new Set<string>();
  let frontier: Delta[] = [];
  const add = (deltas: Iterable<Delta>, into: Delta[]): void => {
    for (const delta of deltas) {
      if (found.has(delta.id)) continue;
      found.set(delta.id, delta);
      into.push(delta);
    }
  };
  add(await source.entityDeltas(entityId), frontier);
  while (frontier.length > 0) {
    const next: Delta[] = [];
    const transactions: string[] = [];
    for (const delta of frontier) {
      for (const tx of transactionIdsOf(delta)) {
        if (seenTransactions.has(tx)) continue;
        seenTransactions.add(tx);
        transactions.push(tx);
      }
    }
    const [negations, parts] = await Promise.all([
      source.negationsOf(frontier.map((delta) => delta.id)),
      transactions.length === 0 ? Promise.resolve([]) : source.transactionParts(transactions),
    ]);
    add(negations, next);
    add(parts, next);
    frontier = next;
  }
  return [...found.values()];
}
