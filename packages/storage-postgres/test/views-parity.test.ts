import { hasValidId, isReference, type Delta } from '@rhizome/core';
import {
  StorageErrorCode,
  createMemoryStore,
  listTransactionIds,
  type DeltaStore,
} from '@rhizome/storage';
import { expectStorageError } from '@rhizome/testkit';
import { createViewStore, type ReadOptions, type Schema, type ViewStore } from '@rhizome/views';
import {
  checkExpectation,
  viewScenarios,
  type ScenarioBackend,
  type ViewScenario,
} from '@rhizome/views/scenarios';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import { openPgliteStore } from '../src/pglite.ts';
import { loadPgliteTemplate } from './support/pglite.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  postgresAvailable,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

/*
 * Views built from what a store hands back must equal the in-memory engine's, for every scenario
 * of @rhizome/views (negation, transactions, asOf, filters, resolvers, schemas). Each read loads
 * the entity's closure from the store (plus the closures of entities it references, for nested
 * views), ingests it into a fresh view store and reads from that alone.
 */

const NESTING_DEPTH = 4;

/** The closure of `entityId` and, hop by hop, of every entity its closure references. */
async function loadClosure(
  store: DeltaStore,
  entityIds: readonly string[],
  asOf?: number,
): Promise<Delta[]> {
  const found = new Map<string, Delta>();
  const visited = new Set<string>();
  let frontier = [...entityIds];
  for (let hop = 0; hop < NESTING_DEPTH && frontier.length > 0; hop++) {
    for (const id of frontier) visited.add(id);
    const next = new Set<string>();
    for (const delta of await store.closure(frontier, asOf === undefined ? {} : { asOf })) {
      found.set(delta.id, delta);
      for (const pointer of delta.pointers) {
        if (isReference(pointer.target) && !visited.has(pointer.target.id))
          next.add(pointer.target.id);
      }
    }
    frontier = [...next];
  }
  return [...found.values()];
}

function createStorageBackend(
  store: DeltaStore,
  schemas: readonly Schema[],
  asOf?: number,
): ScenarioBackend {
  const viewsOf = async (entityId: string): Promise<ViewStore> => {
    const views = createViewStore({ schemas });
    views.ingestMany(await loadClosure(store, [entityId], asOf));
    return views;
  };
  return {
    async ingest(deltas) {
      await store.append(deltas);
    },
    hyperview: async (entityId, read?: ReadOptions) =>
      (await viewsOf(entityId)).hyperview(entityId, read),
    view: async (entityId, read?: ReadOptions) => (await viewsOf(entityId)).view(entityId, read),
    resolve: async (schema, entityId, read?: ReadOptions) =>
      (await viewsOf(entityId)).resolve(schema, entityId, read),
    async isVisible(deltaId, read?: ReadOptions) {
      // A delta's visibility turns on its negations and its transactions: the closure of its id
      // and of its transaction ids, plus the delta itself.
      const [delta] = await store.get([deltaId]);
      const views = createViewStore({ schemas });
      if (delta !== undefined) {
        views.ingestMany([
          delta,
          ...(await loadClosure(store, [deltaId, ...listTransactionIds(delta)])),
        ]);
      }
      return views.isVisible(deltaId, read);
    },
  };
}

function createEngineBackend(schemas: readonly Schema[]): ScenarioBackend {
  const views = createViewStore({ schemas });
  return {
    ingest: (deltas) => void views.ingestMany(deltas),
    hyperview: (entityId, read) => views.hyperview(entityId, read),
    view: (entityId, read) => views.view(entityId, read),
    resolve: (schema, entityId, read) => views.resolve(schema, entityId, read),
    isVisible: (deltaId, read) => views.isVisible(deltaId, read),
  };
}

const hasForgedDelta = (scenario: ViewScenario) =>
  scenario.steps.some((step) => step.ingest.some((delta) => !hasValidId(delta)));

/** Runs every scenario on `openStore()`'s store, emptied by `reset()` before each scenario. */
function describeParity(
  label: string,
  open: () => Promise<{ store: DeltaStore; reset: () => Promise<void> }>,
) {
  const skip = label === 'PostgreSQL' && !postgresAvailable;
  describe.skipIf(skip)(`views from ${label} equal the in-memory engine`, () => {
    let subject: { store: DeltaStore; reset: () => Promise<void> };
    beforeAll(async () => {
      subject = await open();
    });
    afterAll(async () => {
      await subject?.store.close();
    });

    for (const scenario of viewScenarios) {
      if (hasForgedDelta(scenario)) {
        // Some scenarios forge ids to build negation cycles, which content addressing rules out.
        // A store validates ids, so it refuses them instead of storing them.
        it(`${scenario.name}: refuses the forged deltas`, async () => {
          await subject.reset();
          const forged = scenario.steps
            .flatMap((step) => step.ingest)
            .filter((delta) => !hasValidId(delta));
          await expectStorageError(subject.store.append(forged), StorageErrorCode.InvalidInput);
        });
        continue;
      }
      it(scenario.name, async () => {
        await subject.reset();
        const fromStore = createStorageBackend(subject.store, scenario.schemas ?? []);
        const engine = createEngineBackend(scenario.schemas ?? []);
        for (const [stepIndex, step] of scenario.steps.entries()) {
          for (const delta of step.ingest) {
            await fromStore.ingest([delta]);
            await engine.ingest([delta]);
          }
          for (const expectation of step.expect) {
            const stored = await checkExpectation(fromStore, scenario, expectation);
            const reference = await checkExpectation(engine, scenario, expectation);
            const where = `step ${stepIndex}: ${expectation.kind} ${JSON.stringify(expectation.read ?? {})}`;
            expect(stored.actual, where).toEqual(reference.actual);
            expect(stored.actual, where).toEqual(stored.expected);
            const asOf = expectation.read?.asOf;
            if (asOf !== undefined && expectation.kind !== 'visible') {
              // Time travel from a closure cut at asOf on the store's side gives the same views.
              const cut = createStorageBackend(subject.store, scenario.schemas ?? [], asOf);
              expect(
                (await checkExpectation(cut, scenario, expectation)).actual,
                `${where} (closure asOf)`,
              ).toEqual(reference.actual);
            }
          }
        }
      });
    }
  });
}

describeParity('the memory store', async () => {
  let store = createMemoryStore();
  const holder = {
    get store() {
      return store;
    },
    async reset() {
      store = createMemoryStore();
    },
  };
  return holder;
});

describeParity('PGlite', async () => {
  const pglite = await (await loadPgliteTemplate()).clone();
  const store = await openPgliteStore({ pglite, migrate: false });
  return {
    store,
    reset: async () =>
      void (await pglite.exec('TRUNCATE rhizome_deltas, rhizome_pointers RESTART IDENTITY')),
  };
});

const schemas: string[] = [];
let admin: postgres.Sql | undefined;
describeParity('PostgreSQL', async () => {
  await assertTestDatabaseReachable();
  const schema = createTestSchemaName();
  schemas.push(schema);
  const store = await openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 2 });
  admin = postgres(TEST_DATABASE_URL, {
    max: 1,
    onnotice: () => {},
    connection: { search_path: schema },
  });
  return {
    store,
    reset: async () =>
      void (await admin!.unsafe('TRUNCATE rhizome_deltas, rhizome_pointers RESTART IDENTITY')),
  };
});

afterAll(async () => {
  await admin?.end({ timeout: 5 });
  await dropSchemas(schemas);
});
