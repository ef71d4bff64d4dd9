import type { CustomResolver } from './custom-resolver.ts';
import type { EntityResolution } from './entity-resolution.ts';
import type { EntityChange, ResolvedView } from './types.ts';

/**
 * Resolved views of many entities under one custom resolver, kept current as changes arrive.
 * It keeps each entity's deltas, so swapping the resolver (a plugin hot reload) recomputes every
 * view from them: nothing is lost and nothing restarts.
 */
export interface ResolvedCache {
  readonly resolver: CustomResolver;
  apply(entityId: string, change: EntityChange): void;
  view(entityId: string): ResolvedView;
  entities(): string[];
  /** Recomputes every cached entity under `resolver`; returns how many were recomputed. */
  replaceResolver(resolver: CustomResolver): number;
  dispose(): void;
}

export function createResolvedCache(resolver: CustomResolver): ResolvedCache {
  let current = resolver;
  const entities = new Map<string, EntityResolution>();

  const entityFor = (entityId: string): EntityResolution => {
    let entity = entities.get(entityId);
    if (entity === undefined) {
      entity = current.createEntity(entityId);
      entities.set(entityId, entity);
    }
    return entity;
  };

  return {
    get resolver() {
      return current;
    },
    apply(entityId, change) {
      entityFor(entityId).apply(change);
    },
    view(entityId) {
      return entityFor(entityId).view();
    },
    entities: () => [...entities.keys()],
    replaceResolver(next) {
      // Build every replacement before dropping anything, so a failure leaves the cache intact.
      const rebuilt = new Map<string, EntityResolution>();
      for (const [entityId, entity] of entities) {
        rebuilt.set(
          entityId,
          next.createEntity(entityId, {
            visible: entity.visibleDeltas(),
            negated: entity.negatedDeltas(),
          }),
        );
      }
      for (const entity of entities.values()) entity.dispose();
      entities.clear();
      for (const [entityId, entity] of rebuilt) entities.set(entityId, entity);
      current = next;
      return rebuilt.size;
    },
    dispose() {
      for (const entity of entities.values()) entity.dispose();
      entities.clear();
    },
  };
}
