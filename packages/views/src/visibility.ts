import type { Delta } from '@rhizome/core';
import type { DeltaIndex } from './delta-index.ts';
import { transactionDeclarationsOf } from './delta-shape.ts';
import type { DeltaFilter, ReadOptions } from './types.ts';

/** Negation status under grounded semantics (docs/semantics.md, "Negation"). */
const IN = 1;
const OUT = 2;
const UNDECIDED = 3;
type Label = typeof IN | typeof OUT | typeof UNDECIDED;

export type TransactionState = 'pending' | 'complete' | 'overfull';

/**
 * Visibility for one read. Memoised, so asking about every delta of an entity costs in proportion
 * to those deltas and their negation and transaction neighbourhoods, never to the store.
 */
export interface Visibility {
  /** No `asOf` and no filter: every stored delta exists. */
  readonly isUnrestricted: boolean;
  /** The stored delta is in this read's universe (`timeCreated <= asOf`, passes the filter). */
  exists(delta: Delta): boolean;
  /** Exists and every transaction it belongs to is complete for its creator. */
  isEffective(delta: Delta): boolean;
  /** Effective and not negated. */
  isVisible(delta: Delta): boolean;
  /** Whether `creator`'s part of the transaction is complete in this read. */
  transactionState(transactionId: string, creator: string): TransactionState;
}

export function createDeltaPredicate(read: ReadOptions): (delta: Delta) => boolean {
  const asOf = read.asOf;
  const filter: DeltaFilter | undefined = read.filter;
  if (asOf === undefined && filter === undefined) return () => true;
  const creators = filter?.creators === undefined ? undefined : new Set(filter.creators);
  const hosts = filter?.hosts === undefined ? undefined : new Set(filter.hosts);
  const from = filter?.from;
  const to = filter?.to;
  const predicate = filter?.predicate;
  return (delta) =>
    (asOf === undefined || delta.timeCreated <= asOf) &&
    (from === undefined || delta.timeCreated >= from) &&
    (to === undefined || delta.timeCreated <= to) &&
    (creators === undefined || creators.has(delta.creator)) &&
    (hosts === undefined || hosts.has(delta.host)) &&
    (predicate === undefined || predicate(delta));
}

export function createVisibility(index: DeltaIndex, read: ReadOptions = {}): Visibility {
  const inUniverse = createDeltaPredicate(read);
  const labels = new Map<string, Label>();
  const transactions = new Map<string, TransactionState>();

  // Deltas reach here from the index's own lists, so "stored" needs no lookup.
  const exists = inUniverse;

  const transactionState = (transactionId: string, creator: string): TransactionState => {
    const key = `${transactionId}\u0000${creator}`;
    const known = transactions.get(key);
    if (known !== undefined) return known;
    let count = 0;
    for (const member of index.transactionMembers(transactionId)) {
      if (member.creator === creator && exists(member)) count++;
    }
    let state: TransactionState = 'pending';
    for (const declaration of index.transactionDeclarations(transactionId)) {
      if (declaration.creator !== creator || !exists(declaration)) continue;
      for (const declared of transactionDeclarationsOf(declaration)) {
        if (declared.transactionId !== transactionId) continue;
        if (declared.size === count) state = 'complete';
        else if (declared.size < count && state === 'pending') state = 'overfull';
      }
    }
    transactions.set(key, state);
    return state;
  };

  const isEffective = (delta: Delta): boolean => {
    if (!exists(delta)) return false;
    for (const tx of index.transactionsOf(delta.id)) {
      if (transactionState(tx, delta.creator) !== 'complete') return false;
    }
    return true;
  };

  const effectiveAttackers = (id: string): Delta[] => {
    const attackers: Delta[] = [];
    for (const negation of index.negationsOf(id)) if (isEffective(negation)) attackers.push(negation);
    return attackers;
  };

  // Grounded labelling of the unlabelled part of `root`'s attacker closure: a node is IN when
  // every attacker is OUT, OUT when some attacker is IN, and UNDECIDED when neither can be
  // established (it depends on a negation cycle). Linear, iterative, independent of order.
  const label = (root: Delta): Label => {
    const known = labels.get(root.id);
    if (known !== undefined) return known;
    const rootAttackers = effectiveAttackers(root.id);
    if (rootAttackers.length === 0) return IN;
    const nodes: string[] = [root.id];
    const attackersOf: Delta[][] = [rootAttackers];
    const position = new Map<string, number>([[root.id, 0]]);
    for (let i = 0; i < nodes.length; i++) {
      for (const attacker of attackersOf[i]!) {
        if (position.has(attacker.id) || labels.has(attacker.id)) continue;
        position.set(attacker.id, nodes.length);
        nodes.push(attacker.id);
        attackersOf.push(effectiveAttackers(attacker.id));
      }
    }
    const pending = new Array<number>(nodes.length).fill(0);
    const targetsOf: number[][] = nodes.map(() => []);
    const queue: number[] = [];
    const local = new Array<Label | 0>(nodes.length).fill(0);
    for (let i = 0; i < nodes.length; i++) {
      let attackedByIn = false;
      for (const attacker of attackersOf[i]!) {
        const fixed = labels.get(attacker.id);
        if (fixed === IN) attackedByIn = true;
        else if (fixed === UNDECIDED) pending[i]!++;
        else if (fixed === undefined) {
          pending[i]!++;
          targetsOf[position.get(attacker.id)!]!.push(i);
        }
      }
      if (attackedByIn) local[i] = OUT;
      else if (pending[i] === 0) local[i] = IN;
      if (local[i] !== 0) queue.push(i);
    }
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      for (const target of targetsOf[node]!) {
        if (local[target] !== 0) continue;
        if (local[node] === IN) {
          local[target] = OUT;
          queue.push(target);
        } else if (--pending[target]! === 0) {
          local[target] = IN;
          queue.push(target);
        }
      }
    }
    for (let i = 0; i < nodes.length; i++) labels.set(nodes[i]!, local[i] === 0 ? UNDECIDED : (local[i] as Label));
    return labels.get(root.id)!;
  };

  return {
    isUnrestricted: read.asOf === undefined && read.filter === undefined,
    exists,
    isEffective,
    isVisible: (delta) => isEffective(delta) && label(delta) === IN,
    transactionState,
  };
}
