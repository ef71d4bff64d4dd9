import { compareDeltas, isReference, Vocabulary, type Delta, type Pointer } from '@rhizome/core';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import { forEachHyperviewSlot, negatedIdsOf, transactionIdsOf } from './delta-shape.ts';
import { ShardedMap } from './sharded-map.ts';
import { isReservedPointer } from './vocabulary.ts';

const EMPTY: readonly Delta[] = Object.freeze([]);

/**
 * Every stored delta, indexed for resolution. Holds the caller's delta objects (never copies) and
 * stores each only once, so ingest is idempotent by id. All lists are in total order
 * (`compareDeltas`) and hold every stored delta: visibility is decided at read time.
 */
export interface DeltaIndex {
  readonly size: number;
  /** Stores the delta; false if a delta with its id was already stored. */
  ingest(delta: Delta): boolean;
  /** Stores every delta; returns how many were new. Order, duplicates and batching do not matter. */
  ingestMany(deltas: Iterable<Delta>): number;
  get(id: string): Delta | undefined;
  has(id: string): boolean;
  deltas(): IterableIterator<Delta>;
  entityIds(): IterableIterator<string>;
  /** Stored (not necessarily visible) deltas at the entity, by property. */
  entityProperties(entityId: string): ReadonlyMap<string, readonly Delta[]> | undefined;
  /**
   * True when no delta at the entity is a transaction member or the target of a negation, so
   * every stored delta there is visible unless `asOf` or a filter excludes it (the fast path).
   */
  isEntityPlain(entityId: string): boolean;
  /** Entities with at least one stored delta under the property. */
  entitiesWithProperty(property: string): ReadonlySet<string>;
  /** Stored negations that target the delta id (whether or not that delta is stored). */
  negationsOf(deltaId: string): readonly Delta[];
  /** Transactions the stored delta is a member of. */
  transactionsOf(deltaId: string): readonly string[];
  transactionDeclarations(transactionId: string): readonly Delta[];
  transactionMembers(transactionId: string): readonly Delta[];
}

/** Caps the scan per entity; pointers beyond it are simply not shared. */
const MAX_SHARED_POINTERS_PER_ENTITY = 32;

interface EntityRecord {
  readonly properties: Map<string, Delta[]>;
  /** Some delta here is a transaction member or negation target (sticky). */
  complex: boolean;
}

function appearsEarlier(
  pointers: Delta['pointers'],
  index: number,
  entityId: string,
  property: string,
): boolean {
  for (let j = 0; j < index; j++) {
    const earlier = pointers[j]!;
    const target = earlier.target;
    if (
      earlier.targetContext === property &&
      isReference(target) &&
      target.id === entityId &&
      !isReservedPointer(earlier)
    ) {
      return true;
    }
  }
  return false;
}

function insertSorted(list: Delta[], delta: Delta): boolean {
  const last = list[list.length - 1];
  if (last === undefined || compareDeltas(last, delta) < 0) {
    list.push(delta);
    return true;
  }
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareDeltas(list[mid]!, delta) < 0) low = mid + 1;
    else high = mid;
  }
  if (list[low]?.id === delta.id) return false;
  list.splice(low, 0, delta);
  return true;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function isDeltaLike(delta: unknown): delta is Delta {
  if (typeof delta !== 'object' || delta === null) return false;
  const candidate = delta as Partial<Delta>;
  return (
    typeof candidate.id === 'string' &&
    typeof candidate.timeCreated === 'number' &&
    typeof candidate.creator === 'string' &&
    typeof candidate.host === 'string' &&
    Array.isArray(candidate.pointers)
  );
}

export interface DeltaIndexOptions {
  /**
   * Store a compact copy of each delta instead of the caller's object (default false): the same
   * id, fields and pointer values, with creator and host strings interned and each reference
   * pointer shared with every other delta holding an identical one (the builder's `entity → E @ P`
   * recurs in every write of E.P). Retains about a quarter less heap per delta once the caller's
   * objects are gone, at the price of a slower ingest (the copy is allocated and promoted).
   */
  readonly compact?: boolean;
  /** When the per-delta and per-entity maps split into shards (default 2^23 entries, 16 shards). */
  readonly shards?: { readonly splitAt?: number; readonly shards?: number };
}

export function createDeltaIndex(
  initial?: Iterable<Delta>,
  options: DeltaIndexOptions = {},
): DeltaIndex {
  // One entry per delta and per entity: sharded past 2^23 entries, so the index is not capped by
  // V8's 2^24 entries per Map (memory is the limit).
  const byId = new ShardedMap<Delta>(options.shards === undefined ? {} : options.shards);
  const entities = new ShardedMap<EntityRecord>(options.shards === undefined ? {} : options.shards);
  const byProperty = new Map<string, Set<string>>();
  const negations = new Map<string, Delta[]>();
  const memberOf = new Map<string, string[]>();
  const declarations = new Map<string, Delta[]>();
  const members = new Map<string, Delta[]>();

  const addToSlot = (entityId: string, property: string, delta: Delta, complex: boolean): void => {
    let record = entities.get(entityId);
    if (record === undefined) {
      record = { properties: new Map(), complex };
      entities.set(entityId, record);
    } else if (complex) {
      record.complex = true;
    }
    const properties = record.properties;
    const list = properties.get(property);
    if (list === undefined) {
      properties.set(property, [delta]);
      let holders = byProperty.get(property);
      if (holders === undefined) {
        holders = new Set();
        byProperty.set(property, holders);
      }
      holders.add(entityId);
    } else {
      insertSorted(list, delta);
    }
  };

  const compact = options.compact ?? false;
  const strings = new Map<string, string>();
  // Shared reference pointers by target entity; a short list, scanned by (localContext, targetContext).
  const sharedPointers = new Map<string, Pointer[]>();
  const internString = (value: string): string => {
    const known = strings.get(value);
    if (known !== undefined) return known;
    strings.set(value, value);
    return value;
  };
  // Pointers are immutable, so identical ones can be one object. Reserved pointers are unique per
  // delta (negation targets, transaction ids), so sharing them would only grow the pool.
  const compactDelta = (delta: Delta): Delta => {
    const pointers = delta.pointers;
    const length = pointers.length;
    const copy = new Array<Pointer>(length);
    for (let i = 0; i < length; i++) {
      const pointer = pointers[i]!;
      const target = pointer.target;
      if (
        typeof target !== 'object' ||
        target === null ||
        pointer.targetContext === undefined ||
        isReservedPointer(pointer)
      ) {
        copy[i] = pointer;
        continue;
      }
      const pool = sharedPointers.get(target.id);
      if (pool === undefined) {
        sharedPointers.set(target.id, [pointer]);
        copy[i] = pointer;
        continue;
      }
      let shared: Pointer | undefined;
      for (let j = 0; j < pool.length; j++) {
        const candidate = pool[j]!;
        if (
          candidate.localContext === pointer.localContext &&
          candidate.targetContext === pointer.targetContext
        ) {
          shared = candidate;
          break;
        }
      }
      if (shared === undefined && pool.length < MAX_SHARED_POINTERS_PER_ENTITY) pool.push(pointer);
      copy[i] = shared ?? pointer;
    }
    const base = {
      id: delta.id,
      timeCreated: delta.timeCreated,
      host: internString(delta.host),
      creator: internString(delta.creator),
      pointers: Object.freeze(copy),
    };
    return Object.freeze(
      delta.signature === undefined ? base : { ...base, signature: delta.signature },
    );
  };

  const markComplex = (delta: Delta): void => {
    forEachHyperviewSlot(delta, (entityId) => {
      const record = entities.get(entityId);
      if (record !== undefined) record.complex = true;
    });
  };

  const ingestNegation = (negation: Delta): void => {
    for (const targetId of negatedIdsOf(negation)) {
      pushTo(negations, targetId, negation);
      const target = byId.get(targetId);
      if (target !== undefined) markComplex(target);
    }
  };

  // Returns whether the delta is a transaction member.
  const ingestTransactionPart = (delta: Delta): boolean => {
    for (const pointer of delta.pointers) {
      const target = pointer.target;
      if (pointer.localContext !== Vocabulary.transaction || !isReference(target)) continue;
      if (pointer.targetContext === Vocabulary.transactionSize) {
        const list = declarations.get(target.id);
        if (list === undefined) declarations.set(target.id, [delta]);
        else if (!list.includes(delta)) list.push(delta);
      }
    }
    const txs = transactionIdsOf(delta);
    if (txs.length === 0) return false;
    memberOf.set(delta.id, txs);
    for (const tx of txs) pushTo(members, tx, delta);
    return true;
  };

  const index: DeltaIndex = {
    get size() {
      return byId.size;
    },
    ingest(input) {
      if (!isDeltaLike(input)) {
        throw createViewsError(
          ViewsErrorCode.DeltaRejected,
          'ingest() takes a delta (id, timeCreated, creator, host, pointers)',
        );
      }
      const id = input.id;
      if (byId.has(id)) return false;
      const delta = compact ? compactDelta(input) : input;
      byId.set(id, delta);
      // One pass to classify; the machinery (negation, transactions) takes the slow path.
      const pointers = delta.pointers;
      let negation = false;
      let transactional = false;
      for (let i = 0; i < pointers.length; i++) {
        const pointer = pointers[i]!;
        if (typeof pointer.target !== 'object' || pointer.target === null) continue;
        if (pointer.localContext === Vocabulary.negates) negation = true;
        else if (pointer.localContext === Vocabulary.transaction) transactional = true;
      }
      if (negation) ingestNegation(delta);
      let member = false;
      if (transactional) member = ingestTransactionPart(delta);
      if (negation) return true;
      const complex = member || (negations.size > 0 && negations.has(id));
      for (let i = 0; i < pointers.length; i++) {
        const pointer = pointers[i]!;
        const property = pointer.targetContext;
        const target = pointer.target;
        if (
          property === undefined ||
          typeof target !== 'object' ||
          target === null ||
          isReservedPointer(pointer)
        )
          continue;
        if (i > 0 && appearsEarlier(pointers, i, target.id, property)) continue;
        addToSlot(target.id, property, delta, complex);
      }
      return true;
    },
    ingestMany(deltas) {
      let added = 0;
      for (const delta of deltas) if (index.ingest(delta)) added++;
      return added;
    },
    get: (id) => byId.get(id),
    has: (id) => byId.has(id),
    deltas: () => byId.values(),
    entityIds: () => entities.keys(),
    entityProperties: (entityId) => entities.get(entityId)?.properties,
    isEntityPlain: (entityId) => entities.get(entityId)?.complex !== true,
    entitiesWithProperty: (property) => byProperty.get(property) ?? new Set(),
    negationsOf: (deltaId) => negations.get(deltaId) ?? EMPTY,
    transactionsOf: (deltaId) => memberOf.get(deltaId) ?? (EMPTY as readonly never[]),
    transactionDeclarations: (tx) => declarations.get(tx) ?? EMPTY,
    transactionMembers: (tx) => members.get(tx) ?? EMPTY,
  };
  if (initial !== undefined) index.ingestMany(initial);
  return index;
}
