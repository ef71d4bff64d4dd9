import type { Delta, Primitive, Reference } from '@rhizome/core';

/**
 * Contracts other packages implement or consume (plugins, storage, server). Plain types only, in
 * one place, so an implementer needs nothing but this file and docs/semantics.md.
 */

/** A composite value: the pointers of a delta other than those at the entity, by localContext. */
export interface CompositeValue {
  readonly [localContext: string]: Primitive | Reference | readonly (Primitive | Reference)[];
}

/** What a delta contributes to `entity.property` (see `valueOf` and docs/semantics.md). */
export type Value = Primitive | Reference | CompositeValue;

/** Extracts the value a delta contributes to `entityId.property`. */
export type ValueExtractor = (delta: Delta, entityId: string, property: string) => Value;

/** Restricts the deltas that exist for one read. */
export interface DeltaFilter {
  /** Only deltas by these creators exist ("only trust these creators"). */
  readonly creators?: readonly string[];
  /** Only deltas from these hosts exist. */
  readonly hosts?: readonly string[];
  /** Only deltas with `timeCreated >= from` exist. */
  readonly from?: number;
  /** Only deltas with `timeCreated <= to` exist. */
  readonly to?: number;
  /** Only deltas for which this returns true exist. Must be pure. */
  readonly predicate?: (delta: Delta) => boolean;
}

/**
 * Options every read accepts. A read behaves exactly as if the store held only the deltas with
 * `timeCreated <= asOf` that pass `filter`: negations and transaction parts included.
 */
export interface ReadOptions {
  readonly asOf?: number;
  readonly filter?: DeltaFilter;
}

/**
 * The hyperview of an entity: for each property, every visible delta with a pointer `{ id }` at
 * the entity under that targetContext, in total order (`compareDeltas`). Never twice under one
 * property; a delta under two contexts appears under both.
 */
export interface Hyperview {
  readonly id: string;
  readonly properties: ReadonlyMap<string, readonly Delta[]>;
}

/** One visible delta and the value it contributes to the property being resolved. */
export interface ResolverEntry {
  readonly delta: Delta;
  readonly value: Value;
}

export interface ResolverContext {
  readonly entityId: string;
  readonly property: string;
}

/**
 * A per-property resolver: reduces the property's visible entries (in total order, oldest first,
 * never empty) to one value. Return `undefined` for "no value": the property is then left out.
 * Must be a pure function of its input: the same entries give the same output on every node.
 */
export interface Resolver<Out = unknown> {
  /** Stable name; schemas serialise a custom resolver by this name. */
  readonly name: string;
  resolve(entries: readonly ResolverEntry[], context: ResolverContext): Out | undefined;
}

/** What an `EntityResolver` is given. */
export interface EntityResolverInput {
  readonly entityId: string;
  /**
   * The entity's visible deltas grouped by property (targetContext), each list in total order
   * (`compareDeltas`, oldest first). Negated deltas, negations, incomplete transactions and deltas
   * outside the read's `asOf`/filter are already removed. Properties with no visible delta are absent.
   */
  readonly properties: ReadonlyMap<string, readonly Delta[]>;
  /** The value-extraction rule (`valueOf`, or the schema's per-property override). */
  readonly valueOf: (delta: Delta, property: string) => Value;
  /** The read's options, for information (the deltas are already restricted by them). */
  readonly read: ReadOptions;
  /**
   * The entity's negated deltas by property, in total order: those that exist and are effective
   * (transactions complete) but are not visible because a negation holds (or a negation cycle
   * leaves them undecided). For resolvers that keep tombstones. Computed on demand; absent when the
   * caller built the input by hand.
   */
  readonly negatedDeltas?: () => ReadonlyMap<string, readonly Delta[]>;
}

/** Deltas that appeared in and disappeared from a set since the previous resolution, by property. */
export interface EntityDeltaChange {
  readonly added: ReadonlyMap<string, readonly Delta[]>;
  readonly removed: ReadonlyMap<string, readonly Delta[]>;
}

/** The visible deltas that appeared and disappeared since the previous resolution, by property. */
export interface EntityResolverChange extends EntityDeltaChange {
  /**
   * The same for the tombstones (`EntityResolverInput.negatedDeltas`): deltas that became negated
   * (whether visible before or never seen) and tombstones that stopped being negated. A delta can
   * also leave both sets at once (its transaction became overfull), so "removed from visible" does
   * not imply "added to tombstones". The store supplies this only when the resolution that gave
   * `previous` called `negatedDeltas()`, so resolvers that never ask for tombstones never pay for
   * them; when it is absent, read the full set from `input.negatedDeltas()`.
   */
  readonly negated?: EntityDeltaChange;
}

/**
 * An entity-level resolver: replaces per-property resolvers for a whole entity (for example a
 * dependency-ordered set of plugins, one per output property). `resolve` must be a pure function
 * of its input; its output must be plain, JSON-like data (the cache compares outputs structurally
 * to decide whether subscribers hear about a change).
 */
export interface EntityResolver<Out = unknown> {
  /** Stable name; schemas serialise an entity resolver by this name. */
  readonly name: string;
  resolve(input: EntityResolverInput): Out;
  /**
   * Optional incremental path, used by the view cache when an entity it already resolved changes.
   * Must return exactly what `resolve(input)` would. Without it the cache calls `resolve`.
   */
  update?(previous: Out, change: EntityResolverChange, input: EntityResolverInput): Out;
}
