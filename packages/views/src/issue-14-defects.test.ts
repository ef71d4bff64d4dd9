/** The @rhizome/views defects issue 14 names, each pinned. */
import { createDeltaBuilder, type Delta, type PropertyValue } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { listInvalidEntities } from './list-invalid-entities.ts';
import { defineSchema, prop } from './schema.ts';
import { parseSchema, serializeSchema } from './schema-json.ts';
import type { EntityResolver } from './types.ts';
import { validateEntity } from './validate.ts';
import { createViewStore } from './view-store.ts';

const at = (time: number, creator = 'alice') =>
  createDeltaBuilder({ creator, host: 'h', timeCreated: time });
const set = (
  time: number,
  entity: string,
  properties: Record<string, PropertyValue>,
  creator = 'alice',
): Delta => at(time, creator).set(entity, properties).build();
const negate = (time: number, target: Delta): Delta => at(time).negate(target.id).build();

const named = defineSchema({ name: 'u', properties: { name: prop.string() } });

describe('issue 14: query lists only entities with a visible delta', () => {
  it('defect 14.1: query() does not list entities with no visible delta', () => {
    const store = createViewStore();
    const gone = set(1, 'gone', { name: 'Ghost' });
    store.ingestMany([
      gone,
      negate(2, gone),
      at(3).set('pending', { name: 'P' }).inTransaction('tx').build(),
      set(10, 'later', { name: 'L' }),
      set(4, 'kept', { name: 'K' }),
      set(5, 'by-bob', { name: 'B' }, 'bob'),
    ]);
    // Negated and pending-transaction entities: absent without `where` and with one an empty view satisfies.
    expect(store.query(named).ids).toEqual(['by-bob', 'kept', 'later']);
    expect(store.query(named, { where: { name: { exists: false } } }).ids).toEqual([]);
    // `asOf` before the entity's only delta.
    expect(store.query(named, { asOf: 5 }).ids).toEqual(['by-bob', 'kept']);
    // A filter that excludes the entity's only delta.
    expect(store.query(named, { filter: { creators: ['alice'] } }).ids).toEqual(['kept', 'later']);
    expect(
      store.query(named, { filter: { creators: ['bob'] }, where: { name: { exists: false } } }).ids,
    ).toEqual([]);
    // Pages count listed entities only.
    expect(store.query(named, { limit: 1 })).toEqual({ ids: ['by-bob'], nextCursor: 'by-bob' });
    // A delta under a property the schema does not declare does not make the entity listed.
    store.ingest(set(6, 'other', { colour: 'red' }));
    expect(store.query(named).ids).toEqual(['by-bob', 'kept', 'later']);
  });
});

describe('issue 14: an entity can be its own value', () => {
  const person = defineSchema({
    name: 'person',
    properties: { name: prop.string(), friends: prop.references('person') },
  });

  it('defect 14.2: a self-reference can be a value', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingest(set(1, 'alice', { friends: { id: 'alice' } }));
    expect(store.view('alice')).toEqual({ friends: { id: 'alice' } });
    expect(store.resolve(person, 'alice')).toEqual({
      friends: [{ id: 'alice', friends: [{ id: 'alice' }] }],
    });
    store.ingest(set(2, 'alice', { name: 'Alice' }));
    // Nesting stops at the depth bound (default 1), as for any other reference.
    expect(store.resolve(person, 'alice')).toEqual({
      name: 'Alice',
      friends: [{ id: 'alice', name: 'Alice', friends: [{ id: 'alice' }] }],
    });
    // Next to other properties set in the same delta, and next to another reference.
    store.ingest(
      at(3)
        .set('bob', { name: 'Bob', friends: { id: 'bob' } })
        .build(),
    );
    store.ingest(set(4, 'bob', { friends: { id: 'alice' } }));
    expect(store.view('bob')).toEqual({ name: 'Bob', friends: { id: 'alice' } });
    expect(store.resolve(person, 'bob').friends.map((friend) => friend.id)).toEqual([
      'bob',
      'alice',
    ]);
  });

  it('defect 14.2: a relation with both ends at one entity is a self-reference', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingest(
      at(1)
        .relate({ entity: 'carol', property: 'friends' }, { entity: 'carol', property: 'friends' })
        .build(),
    );
    expect(store.view('carol')).toEqual({ friends: { id: 'carol' } });
    expect(store.resolve(person, 'carol')).toEqual({
      friends: [{ id: 'carol', friends: [{ id: 'carol' }] }],
    });
  });
});

describe("issue 14: the 'value' tie-break", () => {
  const scored = defineSchema({
    name: 'scored',
    properties: {
      score: prop.number({ resolver: { kind: 'lww', tieBreak: 'value' } }),
      any: prop.any({ resolver: { kind: 'lww', tieBreak: 'value' } }),
    },
  });
  const resolveBothWays = (deltas: Delta[]) =>
    [deltas, [...deltas].reverse()].map((order) => {
      const store = createViewStore({ schemas: [scored] });
      for (const delta of order) store.ingest(delta);
      return store.resolve(scored, 's');
    });

  it("defect 14.3: the 'value' tie-break compares numbers numerically", () => {
    for (const [a, b, greatest] of [
      [100, 20, 100],
      [9, 10, 10],
      [-5, 3, 3],
      [-10, -9, -9],
      [1.25, 1.5, 1.5],
    ] as const) {
      const views = resolveBothWays([set(1, 's', { score: a }), set(1, 's', { score: b }, 'bob')]);
      expect(views).toEqual([{ score: greatest }, { score: greatest }]);
    }
  });

  it("defect 14.3: the 'value' tie-break orders values of different types the same way on every node", () => {
    // null < booleans < numbers < strings < references < composites (docs/semantics.md, section 8).
    const candidates: Delta[] = [
      at(1)
        .pointer({ localContext: 'x', target: { id: 's' }, targetContext: 'any' })
        .pointer({ localContext: 'a', target: 1 })
        .pointer({ localContext: 'b', target: 2 })
        .build(),
      set(1, 's', { any: { id: 'z' } }),
      set(1, 's', { any: 'a' }),
      set(1, 's', { any: 100 }),
      set(1, 's', { any: true }),
      set(1, 's', { any: null }),
    ];
    const expected = [{ a: 1, b: 2 }, { id: 'z' }, 'a', 100, true, null];
    for (let drop = 0; drop < candidates.length; drop++) {
      const views = resolveBothWays(candidates.slice(drop));
      expect(views).toEqual([{ any: expected[drop] }, { any: expected[drop] }]);
    }
  });
});

describe('issue 14: references inside composite values', () => {
  const person = defineSchema({
    name: 'person',
    properties: { name: prop.string(), collaborations: prop.references('person') },
  });
  // Alice leads a collaboration with Bob and Carol on a budget: one delta, listed under the
  // `collaborations` property of all three.
  const deal = at(1)
    .pointer({ localContext: 'lead', target: { id: 'alice' }, targetContext: 'collaborations' })
    .pointer({ localContext: 'partner', target: { id: 'bob' }, targetContext: 'collaborations' })
    .pointer({ localContext: 'partner', target: { id: 'carol' }, targetContext: 'collaborations' })
    .pointer({ localContext: 'budget', target: 5000 })
    .build();
  const names = [
    set(2, 'alice', { name: 'Alice' }),
    set(2, 'bob', { name: 'Bob' }),
    set(2, 'carol', { name: 'Carol' }),
  ];

  it('defect 14.4: references inside a composite value resolve, nested under the depth bound', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingestMany([deal, ...names]);
    const fromBob = { lead: { id: 'alice' }, partner: { id: 'carol' }, budget: 5000 };
    const fromCarol = { lead: { id: 'alice' }, partner: { id: 'bob' }, budget: 5000 };
    expect(store.resolve(person, 'alice')).toEqual({
      name: 'Alice',
      collaborations: [
        {
          partner: [
            { id: 'bob', name: 'Bob', collaborations: [fromBob] },
            { id: 'carol', name: 'Carol', collaborations: [fromCarol] },
          ],
          budget: 5000,
        },
      ],
    });
    expect(store.resolve(person, 'bob')).toEqual({
      name: 'Bob',
      collaborations: [
        {
          lead: {
            id: 'alice',
            name: 'Alice',
            collaborations: [{ partner: [{ id: 'bob' }, { id: 'carol' }], budget: 5000 }],
          },
          partner: { id: 'carol', name: 'Carol', collaborations: [fromCarol] },
          budget: 5000,
        },
      ],
    });
    // A nested entity's change reaches the cached view and its subscribers.
    const seen: unknown[] = [];
    store.subscribe('alice', (view) => seen.push(view), { schema: person });
    store.ingest(set(3, 'carol', { name: 'Caz' }));
    expect(seen).toHaveLength(1);
    expect(store.resolve(person, 'alice').collaborations[0]).toMatchObject({
      partner: [{ id: 'bob' }, { id: 'carol', name: 'Caz' }],
    });
  });

  it('defect 14.4: a single reference property, depth 0, and composites without references', () => {
    const flat = defineSchema({
      name: 'flat',
      properties: { collaborations: prop.references('person', { depth: 0 }) },
    });
    const one = defineSchema({
      name: 'one',
      properties: { collaborations: prop.reference('person') },
    });
    const store = createViewStore({ schemas: [person, flat, one] });
    store.ingestMany([deal, ...names]);
    expect(store.resolve(flat, 'alice')).toEqual({
      collaborations: [{ partner: [{ id: 'bob' }, { id: 'carol' }], budget: 5000 }],
    });
    expect(store.resolve(one, 'carol')).toEqual({
      collaborations: {
        lead: {
          id: 'alice',
          name: 'Alice',
          collaborations: [{ partner: [{ id: 'bob' }, { id: 'carol' }], budget: 5000 }],
        },
        partner: {
          id: 'bob',
          name: 'Bob',
          collaborations: [{ lead: { id: 'alice' }, partner: { id: 'carol' }, budget: 5000 }],
        },
        budget: 5000,
      },
    });
    // A composite holding no reference is not a reference: a reference property ignores it.
    store.ingest(
      at(4)
        .pointer({ localContext: 'x', target: { id: 'dan' }, targetContext: 'collaborations' })
        .pointer({ localContext: 'budget', target: 10 })
        .pointer({ localContext: 'year', target: 2026 })
        .build(),
    );
    expect(store.resolve(flat, 'dan')).toEqual({ collaborations: [] });
    expect(store.view('dan')).toEqual({ collaborations: { budget: 10, year: 2026 } });
  });
});

describe('issue 14: required properties and the validation report', () => {
  it('defect 14.5: a schema marks a property required, and the invalid entities can be listed', () => {
    const person = defineSchema({
      name: 'person',
      properties: { name: prop.string({ required: true }), age: prop.number() },
    });
    expect(parseSchema(JSON.stringify(serializeSchema(person))).properties.name?.required).toBe(
      true,
    );
    const store = createViewStore({ schemas: [person] });
    const named = set(1, 'ada', { name: 'Ada' });
    store.ingestMany([
      named,
      set(1, 'ada', { age: 36 }),
      set(2, 'bob', { age: 40 }),
      set(3, 'cy', { name: 'Cy' }),
    ]);
    expect(validateEntity(store, person, 'ada').valid).toBe(true);
    expect(listInvalidEntities(store, person).reports).toEqual([
      {
        id: 'bob',
        schema: 'person',
        valid: false,
        problems: [{ property: 'name', code: 'MISSING' }],
      },
    ]);
    // Negating ada's only name makes her invalid too.
    store.ingest(negate(4, named));
    expect(listInvalidEntities(store, person).reports.map((report) => report.id)).toEqual([
      'ada',
      'bob',
    ]);
  });
});

describe('issue 14: queries on a schema resolved by an entity resolver', () => {
  // Like a plugin pipeline: the schema declares no property, the resolver decides the view.
  const pricing: EntityResolver<{ price?: number; quantity?: number; total?: number }> = {
    name: 'test/pricing',
    resolve(input) {
      const last = (property: string): number | undefined => {
        const deltas = input.properties.get(property);
        const value =
          deltas === undefined ? undefined : input.valueOf(deltas[deltas.length - 1]!, property);
        return typeof value === 'number' ? value : undefined;
      };
      const price = last('price');
      const quantity = last('quantity');
      return {
        ...(price === undefined ? {} : { price }),
        ...(quantity === undefined ? {} : { quantity }),
        ...(price === undefined || quantity === undefined ? {} : { total: price * quantity }),
      };
    },
  };
  const order = defineSchema({ name: 'order', properties: {}, entityResolver: pricing });

  it('defect 14.6: where evaluates against the plugin-resolved view', () => {
    const store = createViewStore({ schemas: [order] });
    const cancelled = set(1, 'o4', { price: 100, quantity: 100 });
    store.ingestMany([
      set(1, 'o1', { price: 5, quantity: 2 }),
      set(1, 'o2', { price: 30, quantity: 1 }),
      set(1, 'o3', { price: 7 }),
      cancelled,
      negate(2, cancelled),
      set(5, 'o5', { price: 50, quantity: 3 }),
    ]);
    expect(store.query(order, { where: { total: { gte: 10 } } }).ids).toEqual(['o1', 'o2', 'o5']);
    expect(store.query(order, { where: { total: { gt: 10 } } }).ids).toEqual(['o2', 'o5']);
    expect(store.query(order, { where: { total: { exists: false } } }).ids).toEqual(['o3']);
    expect(store.query(order, { where: { price: { in: [7, 50] } }, asOf: 4 }).ids).toEqual(['o3']);
    // Without `where`: every entity with a visible delta, paged.
    expect(store.query(order).ids).toEqual(['o1', 'o2', 'o3', 'o5']);
    expect(store.query(order, { limit: 2, cursor: 'o1' })).toEqual({
      ids: ['o2', 'o3'],
      nextCursor: 'o3',
    });
  });
});
