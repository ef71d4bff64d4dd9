import { createViewStore } from '../src/index.ts';
import { describeViewScenarios } from './describe-scenarios.ts';
import type { ScenarioBackend } from './scenarios.ts';
import type { Schema } from '../src/index.ts';

function createMemoryBackend(schemas: readonly Schema[], compact = false): ScenarioBackend {
  const store = createViewStore({ schemas, compact });
  return {
    ingest: (deltas) => void store.ingestMany(deltas),
    hyperview: (entityId, read) => store.hyperview(entityId, read),
    view: (entityId, read) => store.view(entityId, read),
    resolve: (schema, entityId, read) => store.resolve(schema, entityId, read),
    isVisible: (deltaId, read) => store.isVisible(deltaId, read),
  };
}

describeViewScenarios('in-memory store', (schemas) => createMemoryBackend(schemas));
describeViewScenarios('in-memory store, compact copies', (schemas) => createMemoryBackend(schemas, true));

// The same scenarios through the storage path: each read resolves from a fresh store holding only
// the entity's closure, as a storage backend would load it.
describeViewScenarios('closure-only store', (schemas) => {
  const full = createViewStore({ schemas });
  const fromClosure = (entityId: string) => {
    const store = createViewStore({ schemas });
    store.ingestMany(full.closure(entityId));
    return store;
  };
  return {
    ingest: (deltas) => void full.ingestMany(deltas),
    hyperview: (entityId, read) => fromClosure(entityId).hyperview(entityId, read),
    view: (entityId, read) => fromClosure(entityId).view(entityId, read),
    resolve: (schema, entityId, read) =>
      schema.properties.friends === undefined ? fromClosure(entityId).resolve(schema, entityId, read) : full.resolve(schema, entityId, read),
    isVisible: (deltaId, read) => full.isVisible(deltaId, read),
  };
});
