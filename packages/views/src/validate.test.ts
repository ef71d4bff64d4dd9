import { createDeltaBuilder, isRhizomeError, type Delta, type PropertyValue } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { listInvalidEntities } from './list-invalid-entities.ts';
import { defineSchema, prop } from './schema.ts';
import { parseSchema, serializeSchema } from './schema-json.ts';
import type { EntityResolver, Resolver } from './types.ts';
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

const tag = defineSchema({ name: 'tag', properties: { label: prop.string() } });
const person = defineSchema({
  name: 'person',
  properties: {
    name: prop.string({ required: true }),
    age: prop.number(),
    tags: prop.references(tag, { required: true }),
    best: prop.reference('person'),
  },
});

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isRhizomeError(error) ? { code: error.code, path: error.path } : error;
  }
  return 'no error';
};

describe('required properties in schemas', () => {
  it('are kept on the definition and in JSON only when true', () => {
    expect(person.properties.name.required).toBe(true);
    expect(person.properties.age).not.toHaveProperty('required');
    const optional = defineSchema({
      name: 'o',
      properties: { a: prop.string({ required: false }) },
    });
    expect(optional.properties.a).not.toHaveProperty('required');
    expect(serializeSchema(optional).properties.a).toEqual({ kind: 'string', resolver: 'lww' });
    const json = serializeSchema(person);
    expect(json.properties.name).toEqual({ kind: 'string', resolver: 'lww', required: true });
    expect(json.properties.tags).toEqual({
      kind: 'reference',
      resolver: 'set',
      target: 'tag',
      required: true,
    });
    const parsed = parseSchema(JSON.stringify(json));
    expect(parsed.properties.name?.required).toBe(true);
    expect(serializeSchema(parsed)).toEqual(json);
  });

  it('leave a schema stored without them valid, and reject a non-boolean', () => {
    const old = { name: 'old', properties: { a: { kind: 'string', resolver: 'lww' } } };
    expect(serializeSchema(parseSchema(old))).toEqual(old);
    expect(
      failure(() =>
        parseSchema({
          name: 'a',
          properties: { a: { kind: 'string', resolver: 'lww', required: 'yes' } },
        }),
      ),
    ).toEqual({ code: 'SCHEMA_INVALID', path: ['properties', 'a', 'required'] });
    expect(
      failure(() =>
        defineSchema({ name: 'a', properties: { a: prop.string({ required: 1 as never }) } }),
      ),
    ).toEqual({ code: 'SCHEMA_INVALID', path: ['properties', 'a', 'required'] });
  });
});

describe('validateEntity', () => {
  it('accepts an entity with every required property and resolvable references', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingestMany([
      set(1, 't1', { label: 'one' }),
      set(2, 'bob', { name: 'Bob', tags: { id: 't1' } }),
      set(3, 'alice', { name: 'Alice', age: 30, tags: { id: 't1' }, best: { id: 'bob' } }),
    ]);
    expect(validateEntity(store, person, 'alice')).toEqual({
      id: 'alice',
      schema: 'person',
      valid: true,
      problems: [],
    });
  });

  it('reports missing required properties, also once their only value is negated', () => {
    const store = createViewStore({ schemas: [person] });
    const name = set(1, 'carol', { name: 'Carol' });
    store.ingestMany([name, set(2, 'carol', { age: 4 })]);
    expect(validateEntity(store, person, 'carol').problems).toEqual([
      { property: 'tags', code: 'MISSING' },
    ]);
    store.ingest(negate(3, name));
    expect(validateEntity(store, person, 'carol')).toEqual({
      id: 'carol',
      schema: 'person',
      valid: false,
      problems: [
        { property: 'name', code: 'MISSING' },
        { property: 'tags', code: 'MISSING' },
      ],
    });
    // Before the negation, the name was there.
    expect(validateEntity(store, person, 'carol', { asOf: 2 }).problems).toEqual([
      { property: 'tags', code: 'MISSING' },
    ]);
  });

  it('reports values of another kind, which resolution skips, and a required property they leave empty', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingestMany([
      set(1, 't1', { label: 'one' }),
      set(2, 'dave', { name: 42, tags: { id: 't1' } }),
      set(3, 'dave', { age: 'forty' }),
      set(4, 'dave', { age: 40 }),
      set(5, 'dave', { tags: 'blue' }),
      set(6, 'dave', { name: true }),
    ]);
    const ids = [...store.hyperview('dave').properties.get('name')!].map((delta) => delta.id);
    expect(validateEntity(store, person, 'dave').problems).toEqual([
      { property: 'name', code: 'MISSING' },
      {
        property: 'name',
        code: 'IGNORED_VALUES',
        expected: 'string',
        found: ['number', 'boolean'],
        deltas: ids,
        count: 2,
      },
      {
        property: 'age',
        code: 'IGNORED_VALUES',
        expected: 'number',
        found: ['string'],
        deltas: [store.hyperview('dave').properties.get('age')![0]!.id],
        count: 1,
      },
      {
        property: 'tags',
        code: 'IGNORED_VALUES',
        expected: 'reference',
        found: ['string'],
        deltas: [store.hyperview('dave').properties.get('tags')![1]!.id],
        count: 1,
      },
    ]);
    // The filter decides which deltas exist: with only bob's, dave has no value at all.
    expect(
      validateEntity(store, person, 'dave', { filter: { creators: ['bob'] } }).problems,
    ).toEqual([
      { property: 'name', code: 'MISSING' },
      { property: 'tags', code: 'MISSING' },
    ]);
  });

  it('lists at most ten ignored deltas with the full count', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingestMany(Array.from({ length: 13 }, (_, i) => set(i + 1, 'eve', { age: `x${i}` })));
    const [, ignored] = validateEntity(store, person, 'eve').problems;
    expect(ignored).toMatchObject({ property: 'age', code: 'IGNORED_VALUES', count: 13 });
    expect(ignored && 'deltas' in ignored ? ignored.deltas : []).toHaveLength(10);
  });

  it('reports references to entities the target schema does not resolve', () => {
    const store = createViewStore({ schemas: [person] });
    store.ingestMany([
      set(1, 't1', { label: 'one' }),
      set(1, 't2', { colour: 'red' }), // no property of `tag`
      set(2, 'frank', { name: 'Frank', tags: { id: 't1' } }),
      set(3, 'frank', { tags: { id: 't2' } }),
      set(4, 'frank', { tags: { id: 'nowhere' } }),
      set(5, 'frank', { best: { id: 'ghost' } }),
    ]);
    expect(validateEntity(store, person, 'frank').problems).toEqual([
      {
        property: 'tags',
        code: 'REFERENCE_UNRESOLVED',
        target: 'tag',
        ids: ['t2', 'nowhere'],
        count: 2,
      },
      {
        property: 'best',
        code: 'REFERENCE_UNRESOLVED',
        target: 'person',
        ids: ['ghost'],
        count: 1,
      },
    ]);
    // Only the resolved value counts: a newer best friend who exists replaces the ghost.
    store.ingest(set(6, 'frank', { best: { id: 'frank' } }));
    expect(validateEntity(store, person, 'frank').problems.map((p) => p.property)).toEqual([
      'tags',
    ]);
    // A reference inside a composite value (a relation with a role) is checked too.
    const team = defineSchema({
      name: 'team',
      properties: { members: prop.references(person) },
    });
    store.ingest(
      at(7)
        .pointer({ localContext: 'team', target: { id: 'red' }, targetContext: 'members' })
        .pointer({ localContext: 'member', target: { id: 'nobody' } })
        .pointer({ localContext: 'role', target: 'lead' })
        .build(),
    );
    expect(validateEntity(store, team, 'red').problems).toEqual([
      {
        property: 'members',
        code: 'REFERENCE_UNRESOLVED',
        target: 'person',
        ids: ['nobody'],
        count: 1,
      },
    ]);
  });

  it('throws SCHEMA_UNKNOWN for a reference to an unregistered schema', () => {
    const orphan = defineSchema({ name: 'orphan', properties: { r: prop.reference('missing') } });
    const store = createViewStore();
    store.ingest(set(1, 'x', { r: { id: 'y' } }));
    expect(failure(() => validateEntity(store, orphan, 'x'))).toMatchObject({
      code: 'SCHEMA_UNKNOWN',
    });
  });

  it('checks the resolved value of a custom resolver against its kind', () => {
    const shout: Resolver = {
      name: 'shout',
      resolve: (entries) => (entries.length > 2 ? 3 : String(entries.at(-1)?.value).toUpperCase()),
    };
    const loud = defineSchema({
      name: 'loud',
      properties: { word: prop.string({ resolver: shout }) },
    });
    const store = createViewStore({ schemas: [loud] });
    store.ingestMany([set(1, 'w', { word: 'hi' })]);
    expect(validateEntity(store, loud, 'w').valid).toBe(true);
    store.ingestMany([set(2, 'w', { word: 'a' }), set(3, 'w', { word: 'b' })]);
    expect(validateEntity(store, loud, 'w').problems).toEqual([
      { property: 'word', code: 'WRONG_TYPE', expected: 'string or string[]', found: 'number' },
    ]);
  });

  it('checks an entity resolver output: required means a value, and each value has its kind', () => {
    const plugin: EntityResolver = {
      name: 'pipeline',
      resolve: ({ properties }) => ({
        total: properties.has('n') ? properties.get('n')!.length : undefined,
        labels: properties.has('label') ? ['x', 1] : [],
      }),
    };
    const summary = defineSchema({
      name: 'summary',
      properties: {
        total: prop.number({ required: true }),
        labels: prop.string({ required: true }),
      },
      entityResolver: plugin,
    });
    const store = createViewStore({ schemas: [summary] });
    store.ingest(set(1, 's', { n: 1 }));
    expect(validateEntity(store, summary, 's').problems).toEqual([
      { property: 'labels', code: 'MISSING' },
    ]);
    store.ingest(set(2, 's', { label: 'a' }));
    expect(validateEntity(store, summary, 's').problems).toEqual([
      { property: 'labels', code: 'WRONG_TYPE', expected: 'string or string[]', found: 'array' },
    ]);
  });
});

describe('listInvalidEntities', () => {
  const store = createViewStore({ schemas: [person] });
  store.ingestMany([
    set(1, 't1', { label: 'one' }),
    ...Array.from({ length: 30 }, (_, i) => {
      const id = `p${String(i).padStart(2, '0')}`;
      // Every third person lacks tags; p00 and p15 also name a best friend who does not exist.
      const properties: Record<string, PropertyValue> = { name: id };
      if (i % 3 !== 0) properties.tags = { id: 't1' };
      if (i % 15 === 0) properties.best = { id: 'ghost' };
      return set(2 + i, id, properties);
    }),
    set(50, 'unrelated', { colour: 'red' }), // no property of `person`: not an instance
  ]);
  const invalid = Array.from({ length: 10 }, (_, i) => `p${String(i * 3).padStart(2, '0')}`);

  it('lists the reports of invalid instances only, in id order, in pages', () => {
    const all = listInvalidEntities(store, person, { limit: 100 });
    expect(all.reports.map((report) => report.id)).toEqual(invalid);
    expect(all.nextCursor).toBeUndefined();
    expect(all.reports[0]).toEqual(validateEntity(store, person, 'p00'));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = listInvalidEntities(store, person, { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.reports.map((report) => report.id));
      expect(page.reports.length).toBeLessThanOrEqual(3);
      if (page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(invalid);
  });

  it('reads as of a time', () => {
    // At time 4 only p00..p02 exist; p00 lacks tags.
    expect(listInvalidEntities(store, person, { asOf: 4 }).reports.map((r) => r.id)).toEqual([
      'p00',
    ]);
  });

  it('rejects a bad limit with QUERY_INVALID', () => {
    expect(failure(() => listInvalidEntities(store, person, { limit: 0 }))).toMatchObject({
      code: 'QUERY_INVALID',
    });
  });
});
