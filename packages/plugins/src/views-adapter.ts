import { isReference, type Delta } from '@rhizome/core';
import type {
  EntityResolver,
  EntityResolverChange,
  EntityResolverInput,
  ReadOptions,
  ViewStore,
} from '@rhizome/views';
import type { CustomResolver } from './custom-resolver.ts';
import type { EntityResolution } from './entity-resolution.ts';
import type { ResolvedView } from './types.ts';

/** The negated deltas of an entity for one read: the tombstones that sequence-like plugins need. */
export type NegatedDeltaSource = (entityId: string, read: ReadOptions) => Iterable<Delta>;

export interface EntityResolverAdapterOptions {
  /** The name a schema serialises the entity resolver by; default `custom:<properties>`. */
  readonly name?: string;
  /**
   * Where to find the entity's negated deltas. Views hands an entity resolver only the visible
   * ones; plugins with tombstones (the RGA sequence) need the negated inserts too, or text typed
   * after a deleted character would lose its place. Use `negatedDeltasFromStore(() => store)`.
   * Consulted only when a plugin declares `keepsTombstones`; on the incremental path it is read
   * at every update (cost: the entity's closure), which a views API carrying negated deltas
   * would make unnecessary.
   */
  readonly negatedDeltas?: NegatedDeltaSource;
}

/** A views `EntityResolver` that also lets go of the incremental state it keeps per entity. */
export interface CustomEntityResolver extends EntityResolver<ResolvedView> {
  readonly resolver: CustomResolver;
  /** Drops the incremental state of one entity, or of all. */
  forget(entityId?: string): void;
}

function isDefaultRead(read: ReadOptions): boolean {
  return read.asOf === undefined && read.filter === undefined;
}

function flatten(groups: ReadonlyMap<string, readonly Delta[]>): Delta[] {
  const seen = new Set<string>();
  const deltas: Delta[] = [];
  for (const list of groups.values()) {
    for (const delta of list) {
      if (seen.has(delta.id)) continue;
      seen.add(delta.id);
      deltas.push(delta);
    }
  }
  return deltas;
}

/**
 * Reads an entity's negated deltas from a view store: its closure's deltas that are listed under
 * one of its properties and are not visible for the read. The store is passed lazily because the
 * schema holding the resolver usually has to exist before the store does.
 */
export function negatedDeltasFromStore(
  getStore: () => Pick<ViewStore, 'closure' | 'isVisible'>,
): NegatedDeltaSource {
  return (entityId, read) => {
    const store = getStore();
    return store
      .closure(entityId)
      .filter(
        (delta) =>
          delta.pointers.some(
            (pointer) =>
              pointer.targetContext !== undefined &&
              isReference(pointer.target) &&
              pointer.target.id === entityId,
          ) && !store.isVisible(delta.id, read),
      );
  };
}

/**
 * Makes a custom resolver (or a getter of the current one) usable wherever @rhizome/views takes an `EntityResolver`: in a schema
 * (`defineSchema({ name, properties: {}, entityResolver })`) or per read (`store.view(id, {
 * entityResolver })`). From scratch it resolves the visible deltas views hands over (values by
 * views' own `valueOf`, so schema overrides apply); on the cache's incremental path it keeps one
 * `EntityResolution` per entity and feeds it only what changed, so each update runs each plugin
 * once rather than resolving the entity again.
 */
export function toEntityResolver(
  resolverOrGetter: CustomResolver | (() => CustomResolver),
  options: EntityResolverAdapterOptions = {},
): CustomEntityResolver {
  // A getter lets the registry swap the resolver on a hot reload; kept state built with an older
  // resolver is then ignored and the entity resolved afresh.
  const current =
    typeof resolverOrGetter === 'function' ? resolverOrGetter : () => resolverOrGetter;
  const name = options.name ?? `custom:${current().order.join(',')}`;
  const cached = new Map<
    string,
    { entity: EntityResolution; output: ResolvedView; resolver: CustomResolver }
  >();

  // Only tombstone plugins need negated deltas; for the rest the source is never consulted.
  const negatedFor = (input: EntityResolverInput, resolver: CustomResolver): Delta[] =>
    options.negatedDeltas === undefined || !resolver.needsNegatedDeltas
      ? []
      : [...options.negatedDeltas(input.entityId, input.read)];

  const readValue =
    (input: EntityResolverInput) => (delta: Delta, _entityId: string, property: string) =>
      input.valueOf(delta, property);

  const resolve = (input: EntityResolverInput): ResolvedView => {
    const resolver = current();
    const visible = flatten(input.properties);
    const negated = negatedFor(input, resolver);
    if (!isDefaultRead(input.read)) {
      // Time travel and filtered reads are one-off: resolve without touching the kept state.
      return resolver.resolve(input.entityId, visible, negated, { readValue: readValue(input) });
    }
    cached.get(input.entityId)?.entity.dispose();
    const entity = resolver.createEntity(
      input.entityId,
      { visible, negated },
      { readValue: readValue(input) },
    );
    const output = entity.view();
    cached.set(input.entityId, { entity, output, resolver });
    return output;
  };

  return {
    name,
    get resolver() {
      return current();
    },
    resolve,
    update(
      previous: ResolvedView,
      change: EntityResolverChange,
      input: EntityResolverInput,
    ): ResolvedView {
      const kept = cached.get(input.entityId);
      if (
        kept === undefined ||
        kept.output !== previous ||
        kept.resolver !== current() ||
        !isDefaultRead(input.read)
      ) {
        return resolve(input);
      }
      // Deltas that stopped being visible stay as tombstones for the plugins that keep them.
      kept.entity.apply({
        visible: flatten(change.added),
        negated: [...flatten(change.removed), ...negatedFor(input, kept.resolver)],
      });
      kept.output = kept.entity.view();
      return kept.output;
    },
    forget(entityId) {
      for (const [id, kept] of cached) {
        if (entityId !== undefined && id !== entityId) continue;
        kept.entity.dispose();
        cached.delete(id);
      }
    },
  };
}
