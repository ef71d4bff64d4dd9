// Issue 13: a node reading through a bounded entity cache (a few KiB, so it evicts all the time)
// answers exactly what the fully in-memory view store answers over the same deltas: views under
// every schema (nested references, plugin and custom resolvers), hyperviews, inspections, asOf,
// queries — after random histories with negations, double negations and transactions arrive in
// random batches, with reads in between, and again after a restart over the same store.
import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { createRhizomeNode, type Principal, type RhizomeNode } from '@rhizome/node';
import { createMemoryStore, type DeltaStore } from '@rhizome/storage';
import { openPgliteStore } from '@rhizome/storage-postgres/pglite';
import {
  createViewStore,
  parseSchema,
  type Resolver,
  type Schema,
  type ViewStore,
} from '@rhizome/views';
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlugins } from '../src/plugins.ts';

const ENTITIES = ['e0', 'e1', 'e2', 'e3', 'e4'];
const PROPERTIES = ['p0', 'p1', 'p2'];
const CREATORS = ['alice', 'bob'];
const TRANSACTIONS = ['t0', 't1'];
const ADMIN: Principal = { creator: 'admin', scopes: new Set(['admin']), open: false };

/** A view as the node frames it: the id first, and the id wins. */
const framed = (id: string, view: unknown) => Object.assign({ id }, view, { id });

type Op =
  | {
      kind: 'set';
      time: number;
      creator: number;
      entity: number;
      property: number;
      value: number | string;
    }
  | { kind: 'relate'; time: number; creator: number; from: number; to: number }
  | { kind: 'refer'; time: number; creator: number; from: number; to: number }
  | { kind: 'count'; time: number; creator: number; entity: number; amount: number }
  | { kind: 'negate'; time: number; creator: number; target: number }
  | { kind: 'declare'; time: number; creator: number; tx: number; size: number }
  | { kind: 'member'; time: number; creator: number; tx: number; entity: number; value: number };

const time = fc.integer({ min: 1, max: 12 });
const creator = fc.integer({ min: 0, max: CREATORS.length - 1 });
const entity = fc.integer({ min: 0, max: ENTITIES.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      time,
      creator,
      entity,
      property: fc.integer({ min: 0, max: PROPERTIES.length - 1 }),
      value: fc.oneof(fc.integer({ min: -3, max: 9 }), fc.constantFrom('a', 'b')),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('relate' as const),
      time,
      creator,
      from: entity,
      to: entity,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('refer' as const),
      time,
      creator,
      from: entity,
      to: entity,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('count' as const),
      time,
      creator,
      entity,
      amount: fc.integer({ min: -5, max: 5 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('negate' as const), time, creator, target: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('declare' as const),
      time,
      creator,
      tx: fc.integer({ min: 0, max: 1 }),
      size: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('member' as const),
      time,
      creator,
      tx: fc.integer({ min: 0, max: 1 }),
      entity,
      value: fc.integer({ min: 0, max: 9 }),
    }),
  },
);

/** Deltas from ops; a negation targets any earlier delta, negations included (double negation). */
function buildDeltas(ops: readonly Op[]): Delta[] {
  const deltas: Delta[] = [];
  for (const op of ops) {
    const builder = createDeltaBuilder({
      creator: CREATORS[op.creator]!,
      host: 'h',
      timeCreated: op.time,
    });
    switch (op.kind) {
      case 'set':
        builder.set(ENTITIES[op.entity]!, { [PROPERTIES[op.property]!]: op.value });
        break;
      case 'relate':
        builder.relate(
          { entity: ENTITIES[op.from]!, property: 'links', role: 'from' },
          { entity: ENTITIES[op.to]!, property: 'backlinks', role: 'to' },
        );
        break;
      case 'refer':
        builder.set(ENTITIES[op.from]!, { friend: { id: ENTITIES[op.to]! } });
        break;
      case 'count':
        builder.set(ENTITIES[op.entity]!, { hits: op.amount });
        break;
      case 'negate':
        if (deltas.length === 0) continue;
        builder.negate(deltas[op.target % deltas.length]!.id);
        break;
      case 'declare':
        builder.declareTransaction(TRANSACTIONS[op.tx]!, op.size);
        break;
      case 'member':
        builder.set(ENTITIES[op.entity]!, { p1: op.value }).inTransaction(TRANSACTIONS[op.tx]!);
        break;
    }
    deltas.push(builder.build());
  }
  return [...new Map(deltas.map((delta) => [delta.id, delta])).values()];
}

interface Case {
  readonly deltas: readonly Delta[];
  /** Batch sizes for delivery, cycled. */
  readonly batches: readonly number[];
  readonly order: readonly number[];
}

const caseArb: fc.Arbitrary<Case> = fc
  .array(opArb, { minLength: 1, maxLength: 40 })
  .map(buildDeltas)
  .chain((deltas) =>
    fc.record({
      deltas: fc.constant(deltas),
      order: fc.shuffledSubarray(
        deltas.map((_, i) => i),
        { minLength: deltas.length, maxLength: deltas.length },
      ),
      batches: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
    }),
  );

/** A custom resolver as an application would register one: the distinct values, sorted. */
const distinct: Resolver = {
  name: 'distinct',
  resolve: (entries) =>
    [...new Set(entries.map((entry) => JSON.stringify(entry.value)))].sort().join('|'),
};

const SCHEMAS = (counter: string) => [
  {
    name: 'thing',
    properties: { p0: { kind: 'any', resolver: 'lww' }, p1: { kind: 'any', resolver: 'max' } },
  },
  {
    name: 'linked',
    properties: {
      p0: { kind: 'any', resolver: { kind: 'lww', tieBreak: 'value' } },
      p2: { kind: 'any', resolver: { custom: 'distinct' } },
      friend: { kind: 'reference', resolver: 'lww', target: 'linked', depth: 2 },
      links: { kind: 'reference', resolver: 'set', target: 'thing' },
      backlinks: { kind: 'reference', resolver: 'list', target: 'linked', depth: 1 },
    },
  },
  {
    name: 'counted',
    properties: {
      hits: { kind: 'number', resolver: { custom: counter } },
      p1: { kind: 'any', resolver: 'sum' },
    },
  },
];

const ASOF = [undefined, 4, 9];

/** A sorted, counted query with combinators (issue 14), besides the plain filter. */
const SORTED_QUERY = {
  where: { or: [{ p0: { gte: 0 } }, { not: { p1: { exists: true } } }] },
  orderBy: [{ property: 'p1', direction: 'desc' as const }, { property: 'p0' }],
  count: true,
  limit: 100,
};

/** What the node must answer, computed from the fully in-memory view store. */
function expected(views: ViewStore, schemas: readonly Schema[], sorted = false): string {
  const out: unknown[] = [];
  for (const id of ENTITIES)
    for (const asOf of ASOF) {
      const read = asOf === undefined ? {} : { asOf };
      const hyperview = views.hyperview(id, read);
      out.push({ id, asOf, hyperview: Object.fromEntries(hyperview.properties) });
      if (hyperview.properties.size === 0) {
        out.push('ENTITY_NOT_FOUND');
        continue;
      }
      out.push(framed(id, views.view(id, read)));
      for (const schema of schemas) out.push(framed(id, views.resolve(schema, id, read) as object));
    }
  // The library's own query is the oracle.
  for (const schema of schemas) {
    const ids = views.query(schema, { where: { p0: { gte: 0 } }, limit: 100 }).ids;
    out.push({ schema: schema.name, ids });
    if (!sorted) continue;
    const page = views.query(schema, SORTED_QUERY);
    out.push({ schema: schema.name, ids: page.ids, total: page.total });
  }
  return JSON.stringify(out);
}

async function actual(
  node: RhizomeNode,
  schemas: readonly Schema[],
  sorted = false,
): Promise<string> {
  const out: unknown[] = [];
  for (const id of ENTITIES)
    for (const asOf of ASOF) {
      const read = asOf === undefined ? {} : { asOf };
      const hyperview = await node.hyperview(id, read);
      out.push({ id, asOf, hyperview: hyperview.properties });
      const view = await node.view(id, read).catch((error: { code?: string }) => error.code);
      if (view === 'ENTITY_NOT_FOUND') {
        out.push(view);
        continue;
      }
      out.push(view);
      for (const schema of schemas) out.push(await node.view(id, { ...read, schema: schema.name }));
    }
  for (const schema of schemas) {
    const page = await node.query({ schema: schema.name, where: { p0: { gte: 0 } }, limit: 100 });
    out.push({ schema: schema.name, ids: page.entities.map((entity) => entity.id) });
    if (!sorted) continue;
    const ordered = await node.query({ schema: schema.name, ...SORTED_QUERY });
    out.push({
      schema: schema.name,
      ids: ordered.entities.map((entity) => entity.id),
      total: ordered.total,
    });
  }
  return JSON.stringify(out);
}

const serverDir = fileURLToPath(new URL('..', import.meta.url));

async function runCase(
  sample: Case,
  openStore: () => Promise<DeltaStore>,
  resolvers: Readonly<Record<string, Resolver>>,
  counter: string,
  cacheBytes: number,
): Promise<void> {
  const store = await openStore();
  const node = await createRhizomeNode({ store, nodeId: 'n', resolvers, cacheBytes });
  const schemaJson = SCHEMAS(counter);
  for (const json of schemaJson) await node.putSchema(json.name, json, ADMIN);
  const schemas = schemaJson.map((json) => parseSchema(json, { resolvers }));
  const full = createViewStore({ schemas });
  // The schema entities are part of the history too.
  for (const delta of (await store.changes({ limit: 100 })).entries) full.ingest(delta.delta);

  // Live watchers of two entities (one nested schema, one schemaless) keep theirs resident.
  const controller = new AbortController();
  const latest = new Map<string, unknown>();
  const watch = async (key: string, stream: AsyncGenerator<unknown>) => {
    try {
      for await (const view of stream) latest.set(key, view);
    } catch {
      // ended by the abort
    }
  };
  const watching = [
    watch('e0/linked', node.watchEntity('e0', { schema: 'linked' }, controller.signal)),
    watch('e1', node.watchEntity('e1', {}, controller.signal)),
  ];

  const ordered = sample.order.map((i) => sample.deltas[i]!);
  let position = 0;
  for (let b = 0; position < ordered.length; b++) {
    const size = sample.batches[b % sample.batches.length]!;
    const batch = ordered.slice(position, position + size);
    position += size;
    // Watchers and reads between batches, so that the cache is busy while deltas arrive.
    await node.replicate(batch);
    full.ingestMany(batch);
    if (b % 3 === 0) expect(await actual(node, schemas)).toBe(expected(full, schemas));
  }
  // The final comparison adds a sorted, counted query (issue 14).
  const want = expected(full, schemas, true);
  expect(await actual(node, schemas, true)).toBe(want);
  if (cacheBytes <= 2048) expect(node.stats().cache.evictions).toBeGreaterThan(0);
  // Watchers hear on a timer after the write: wait for it, then compare their newest view.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const linked = schemas.find((schema) => schema.name === 'linked')!;
  expect(JSON.stringify(latest.get('e0/linked'))).toBe(
    JSON.stringify(framed('e0', full.resolve(linked, 'e0'))),
  );
  expect(JSON.stringify(latest.get('e1'))).toBe(JSON.stringify(framed('e1', full.view('e1'))));
  controller.abort();
  await Promise.all(watching);
  await node.close();
}

describe('issue 13: reads through a bounded entity cache equal the in-memory view store', () => {
  it.each([
    ['2 KiB cache, evicting all the time', 2048],
    ['6 KiB cache, keeping some entities across evictions', 6144],
    ['1 MiB cache, holding everything', 1 << 20],
  ])(
    'over random histories on the memory store, with a %s',
    async (_, cacheBytes) => {
      const plugins = await loadPlugins(['@rhizome/plugin-crdt'], { cwd: serverDir });
      const counter = '@rhizome/plugin-crdt#pn-counter';
      const resolvers = { ...plugins.resolvers, distinct };
      await assertProperty(
        fc.asyncProperty(caseArb, (sample) =>
          runCase(sample, async () => createMemoryStore(), resolvers, counter, cacheBytes),
        ),
        { numRuns: 60 },
      );
    },
    120_000,
  );

  it('over random histories on PGlite, and again after a restart over the same data', async () => {
    const plugins = await loadPlugins(['@rhizome/plugin-crdt'], { cwd: serverDir });
    const counter = '@rhizome/plugin-crdt#pn-counter';
    const resolvers = { ...plugins.resolvers, distinct };
    await assertProperty(
      fc.asyncProperty(caseArb, async (sample) => {
        const store = await openPgliteStore();
        const reopenable = { ...store, close: async () => {} } as DeltaStore;
        await runCase(sample, async () => reopenable, resolvers, counter, 2048);
        const schemas = SCHEMAS(counter).map((json) => parseSchema(json, { resolvers }));
        const full = createViewStore({ schemas });
        for (let after = 0; ;) {
          const page = await store.changes({ after, limit: 1000 });
          full.ingestMany(page.entries.map((entry) => entry.delta));
          if (!page.hasMore) break;
          after = page.cursor;
        }
        const restarted = await createRhizomeNode({
          store: reopenable,
          nodeId: 'n2',
          resolvers,
          cacheBytes: 2048,
        });
        expect(await actual(restarted, schemas, true)).toBe(expected(full, schemas, true));
        await restarted.close();
        await store.close();
      }),
      { numRuns: 6 },
    );
  }, 240_000);
});
