import { isRhizomeError, type Delta, type PropertyValue } from '@rhizome/core';
import { createMemoryStore, type DeltaStore } from '@rhizome/storage';
import { createViewStore, listInvalidEntities, parseSchema } from '@rhizome/views';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenPrincipal } from './principal.ts';
import { createRhizomeNode, type RhizomeNode } from './rhizome-node.ts';

const open = createOpenPrincipal();
let node: RhizomeNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

const TAG = { properties: { label: { kind: 'string', resolver: 'lww' } } };
const PERSON = {
  properties: {
    name: { kind: 'string', resolver: 'lww', required: true },
    age: { kind: 'number', resolver: 'lww' },
    tags: { kind: 'reference', resolver: 'set', target: 'tag', required: true },
  },
};

async function allDeltas(store: DeltaStore): Promise<Delta[]> {
  const deltas: Delta[] = [];
  for (let after = 0; ;) {
    const page = await store.changes({ after, limit: 1000 });
    deltas.push(...page.entries.map((entry) => entry.delta));
    if (!page.hasMore) return deltas;
    after = page.cursor;
  }
}

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return isRhizomeError(error) ? error.code : error;
  }
  return 'no error';
};

// 120 people: every fourth lacks a name, every fifth has a tag that no `tag` entity resolves, and
// every seventh wrote its age as text; one unrelated entity has no property of the schema.
async function seed(target: RhizomeNode): Promise<void> {
  await target.putSchema('tag', TAG, open);
  await target.putSchema('person', PERSON, open);
  await target.putProperties('t1', { label: 'one' }, open);
  for (let i = 0; i < 120; i++) {
    const id = `p${String(i).padStart(3, '0')}`;
    const properties: Record<string, PropertyValue> = {
      tags: { id: i % 5 === 0 ? 'nowhere' : 't1' },
      age: i % 7 === 0 ? 'old' : i,
    };
    if (i % 4 !== 0) properties.name = id;
    await target.putProperties(id, properties, open);
  }
  await target.putProperties('unrelated', { colour: 'red' }, open);
}

describe('node validation', () => {
  it('lists the invalid entities exactly as the views library does over the same deltas', async () => {
    const store = createMemoryStore();
    node = await createRhizomeNode({ store, nodeId: 'n' });
    await seed(node);
    const views = createViewStore();
    views.ingestMany(await allDeltas(store));
    const tag = parseSchema({ name: 'tag', ...TAG });
    views.registerSchema(tag);
    const person = parseSchema({ name: 'person', ...PERSON });
    const expected = listInvalidEntities(views, person, { limit: 1000 }).reports;
    expect(expected.length).toBeGreaterThan(40);
    expect(expected.every((report) => report.id !== 'unrelated')).toBe(true);

    const page = await node.listInvalid({ schema: 'person', limit: 1000 });
    expect(page).toEqual({ reports: expected, cursor: null, scanned: 120 });
    // Paged: the pages add up to the same list.
    const paged = [];
    let cursor: string | undefined;
    for (;;) {
      const next = await node.listInvalid({
        schema: 'person',
        limit: 7,
        ...(cursor === undefined ? {} : { cursor }),
      });
      expect(next.reports.length).toBeLessThanOrEqual(7);
      paged.push(...next.reports);
      if (next.cursor === null) break;
      cursor = next.cursor;
    }
    expect(paged).toEqual(expected);
    // One entity.
    expect(await node.validate({ schema: 'person', id: 'p000' })).toEqual(
      expected.find((report) => report.id === 'p000'),
    );
    expect(await node.validate({ schema: 'person', id: 'p001' })).toEqual({
      id: 'p001',
      schema: 'person',
      valid: true,
      problems: [],
    });
  });

  it('stops a page at the scan bound with a cursor to go on, and agrees under a tiny cache', async () => {
    const store = createMemoryStore();
    const writer = await createRhizomeNode({ store, nodeId: 'n' });
    await seed(writer);
    const expected = (await writer.listInvalid({ schema: 'person', limit: 1000 })).reports;
    // A second node over the same (still open) store; closing it closes the store for both.
    // A cache too small for the data: every chunk evicts the one before.
    node = await createRhizomeNode({
      store,
      nodeId: 'n',
      maxValidationScan: 50,
      cacheBytes: 30_000,
    });
    const first = await node.listInvalid({ schema: 'person', limit: 1000 });
    expect(first.scanned).toBe(50);
    expect(first.cursor).toBe('p049');
    expect(first.reports).toEqual(expected.filter((report) => report.id <= 'p049'));
    const collected = [...first.reports];
    let cursor = first.cursor;
    while (cursor !== null) {
      const next = await node.listInvalid({ schema: 'person', limit: 1000, cursor });
      expect(next.scanned).toBeLessThanOrEqual(50);
      collected.push(...next.reports);
      cursor = next.cursor;
    }
    expect(collected).toEqual(expected);
    expect(node.stats().cache.evictions).toBeGreaterThan(0);
  });

  it('reads as of a time and follows new writes', async () => {
    node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n' });
    await node.putSchema('tag', TAG, open);
    await node.putSchema('person', PERSON, open);
    const first = await node.putProperties('ada', { name: 'Ada' }, open);
    const time = (await node.getDelta(first.id)).timeCreated;
    await node.putProperties('t1', { label: 'one' }, open);
    await node.putProperties('ada', { tags: { id: 't1' } }, open);
    expect((await node.listInvalid({ schema: 'person' })).reports).toEqual([]);
    expect(await node.listInvalid({ schema: 'person', asOf: time })).toEqual({
      reports: [
        {
          id: 'ada',
          schema: 'person',
          valid: false,
          problems: [{ property: 'tags', code: 'MISSING' }],
        },
      ],
      cursor: null,
      scanned: 1,
    });
    await node.negate(first.id, open);
    expect((await node.validate({ schema: 'person', id: 'ada' })).problems).toEqual([
      { property: 'name', code: 'MISSING' },
    ]);
  });

  it('rejects what it cannot answer with stable codes', async () => {
    node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n', maxPageSize: 10 });
    await node.putSchema('person', { properties: { name: PERSON.properties.name } }, open);
    expect(await errorOf(node.listInvalid({ schema: 'nobody' }))).toBe('SCHEMA_NOT_FOUND');
    expect(await errorOf(node.listInvalid({ schema: 'person', limit: 11 }))).toBe(
      'INVALID_REQUEST',
    );
    expect(await errorOf(node.listInvalid({ schema: 'person', limit: 0 }))).toBe('INVALID_REQUEST');
    expect(await errorOf(node.validate({ schema: 'person', id: 'ghost' }))).toBe(
      'ENTITY_NOT_FOUND',
    );
    expect(await errorOf(node.validate({ schema: 'nobody', id: 'ghost' }))).toBe(
      'SCHEMA_NOT_FOUND',
    );
  });
});
