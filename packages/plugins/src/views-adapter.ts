import type { Delta } from '@rhizome/core';
import type {
  EntityDeltaChange,
  EntityResolver,
  EntityResolverChange,
  EntityResolverInput,
  ReadOptions,
} from '@rhizome/views';
import type { CustomResolver } from './custom-resolver.ts';
import type { EntityResolution } from './entity-resolution.ts';
import type { ResolvedView } from './types.ts';

export interface EntityResolverAdapterOptions {
  /** The name a schema serialises the entity resolver by; default `custom:<properties>`. */
  readonly name?: string;
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

function idsOf(groups: ReadonlyMap<string, readonly Delta[]>): Set<string> {
  const ids = new Set<string>();
  for (const list of groups.values()) for (const delta of list) ids.add(delta.id);
  return ids;
}

/** Some delta stopped being visible without becoming a tombstone, or the reverse. */
function leavesEntirely(change: EntityResolverChange, negated: EntityDeltaChange): boolean {
  if (change.removed.size === 0 && negated.removed.size === 0) return false;
  const nowNegated = idsOf(negated.added);
  for (const list of change.removed.values())
    for (const delta of list) if (!nowNegated.has(delta.id)) return true;
  const nowVisible = idsOf(change.added);
  for (const list of negated.removed.values())
    for (const delta of list) if (!nowVisible.has(delta.id)) return true;
  return false;
}

/**
 * Makes a custom resolver (or a getter of the current one) usable wherever @rhizome/views takes an `EntityResolver`: in a schema
 * (`defineSchema({ name, properties: {}, entityResolver })`) or per read (`store.view(id, {
 * entityResolver })`). From scratch it resolves the visible deltas views hands over (values by
 * views' own `valueOf`, so schema overrides apply) and, when a plugin keeps tombstones, the
 * input's `negatedDeltas()`; on the cache's incremental path it keeps one `EntityResolution` per
 * entity and feeds it only what changed (tombstones from `change.negated`), so each update runs
 * each plugin once rather than resolving the entity again.
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

  // Only tombstone plugins (the sequence) need negated deltas: without them, text typed after a
  // deleted character would lose its place. Views computes them only when asked.
  const negatedFor = (input: EntityResolverInput, resolver: CustomResolver): Delta[] =>
    resolver.needsNegatedDeltas && input.negatedDeltas !== undefined
      ? flatten(input.negatedDeltas())
      : [];

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
      if (!kept.resolver.needsNegatedDeltas) {
        // Without tombstone plugins, a delta that stopped being visible is simply gone, whatever
        // the reason.
        kept.entity.apply({ visible: flatten(change.added), negated: flatten(change.removed) });
      } else {
        // Tombstone plugins need to know exactly which deltas are negated. An entity resolution
        // can hold a delta only as visible or negated, so one that left both (its transaction
        // became overfull) or a diff views could not give means starting afresh.
        if (change.negated === undefined || leavesEntirely(change, change.negated))
          return resolve(input);
        kept.entity.apply({
          visible: flatten(change.added),
          negated: flatten(change.negated.added),
        });
      }
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
