import { isRhizomeError, type Primitive } from '@rhizome/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  defineSchema,
  prop,
  type NestedComposite,
  type NestedEntity,
  type ViewOf,
} from './schema.ts';
import { parseSchema, serializeSchema } from './schema-json.ts';
import type { EntityResolver, Resolver } from './types.ts';

const address = defineSchema({ name: 'address', properties: { city: prop.string() } });
const person = defineSchema({
  name: 'person',
  properties: {
    name: prop.string(),
    age: prop.number({ resolver: 'max' }),
    alive: prop.boolean(),
    nicknames: prop.string({ resolver: 'set' }),
    bio: prop.string({ resolver: { kind: 'concat', separator: '\n' } }),
    visits: prop.any({ resolver: 'count' }),
    friends: prop.references('person', { resolver: 'set', depth: 2 }),
    home: prop.reference(address),
    tags: prop.any({ resolver: 'list', value: { localContext: 'tag' } }),
  },
});

describe('schema types', () => {
  it('infers the resolved view type', () => {
    type Person = ViewOf<typeof person>;
    expectTypeOf<Person['name']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Person['age']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Person['alive']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<Person['nicknames']>().toEqualTypeOf<string[]>();
    expectTypeOf<Person['bio']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Person['visits']>().toEqualTypeOf<number>();
    expectTypeOf<Person['friends']>().toEqualTypeOf<(NestedEntity | NestedComposite<'person'>)[]>();
    // A reference property holds a nested entity, or a composite (a relation with roles or data).
    type Home = Extract<NonNullable<Person['home']>, { readonly id: string }>;
    expectTypeOf<Home['city']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Home['id']>().toEqualTypeOf<string>();
    expectTypeOf<NestedComposite<typeof address>['partner']>().toEqualTypeOf<
      | Primitive
      | ({ readonly id: string } & { readonly city?: string })
      | readonly (Primitive | ({ readonly id: string } & { readonly city?: string }))[]
    >();
    expectTypeOf<keyof Person>().toEqualTypeOf<
      'name' | 'age' | 'alive' | 'nicknames' | 'bio' | 'visits' | 'friends' | 'home' | 'tags'
    >();
  });

  it('takes an entity resolver output type and a custom resolver output type', () => {
    const entity: EntityResolver<{ total: number }> = {
      name: 'totals',
      resolve: () => ({ total: 1 }),
    };
    const custom: Resolver<Date> = { name: 'date', resolve: () => new Date(0) };
    const withEntity = defineSchema({ name: 'x', properties: {}, entityResolver: entity });
    const withCustom = defineSchema({
      name: 'y',
      properties: { at: prop.any({ resolver: custom }) },
    });
    expectTypeOf<ViewOf<typeof withEntity>>().toEqualTypeOf<{ total: number }>();
    expect(withEntity.entityResolver).toBe(entity);
    expect(withCustom.properties.at.resolver).toBe(custom);
    expectTypeOf<ViewOf<typeof withCustom>['at']>().toEqualTypeOf<Date | undefined>();
  });
});

describe('schema validation', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return isRhizomeError(error) ? error.code : 'not a rhizome error';
    }
    return 'no error';
  };

  it('rejects malformed schemas with SCHEMA_INVALID', () => {
    expect(code(() => defineSchema({ name: '', properties: {} }))).toBe('SCHEMA_INVALID');
    expect(code(() => defineSchema({ name: 'a', properties: { id: prop.string() } }))).toBe(
      'SCHEMA_INVALID',
    );
    expect(
      code(() =>
        defineSchema({ name: 'a', properties: { f: prop.references('a', { depth: -1 }) } }),
      ),
    ).toBe('SCHEMA_INVALID');
    expect(
      code(() =>
        defineSchema({
          name: 'a',
          properties: { f: prop.string({ resolver: 'median' as never }) },
        }),
      ),
    ).toBe('SCHEMA_INVALID');
  });
});

describe('schema JSON', () => {
  it('round-trips through JSON text', () => {
    const json = JSON.stringify(serializeSchema(person));
    const parsed = parseSchema(json);
    expect(serializeSchema(parsed)).toEqual(serializeSchema(person));
    expect(serializeSchema(person).properties.home).toEqual({
      kind: 'reference',
      resolver: 'lww',
      target: 'address',
    });
  });

  it('restores custom and entity resolvers by name', () => {
    const custom: Resolver = { name: 'first-letter', resolve: () => 'A' };
    const entity: EntityResolver = { name: 'plugins', resolve: () => ({}) };
    const schema = defineSchema({
      name: 'z',
      properties: { a: prop.any({ resolver: custom }) },
      entityResolver: entity,
    });
    const json = serializeSchema(schema);
    expect(json).toEqual({
      name: 'z',
      properties: { a: { kind: 'any', resolver: { custom: 'first-letter' } } },
      entityResolver: 'plugins',
    });
    const parsed = parseSchema(json, {
      resolvers: { 'first-letter': custom },
      entityResolvers: { plugins: entity },
    });
    expect(parsed.properties.a?.resolver).toBe(custom);
    expect(parsed.entityResolver).toBe(entity);
    expect(() => parseSchema(json)).toThrow(expect.objectContaining({ code: 'SCHEMA_INVALID' }));
  });

  it('reports the path of the first problem', () => {
    const attempt = (input: unknown) => {
      try {
        parseSchema(input);
        return undefined;
      } catch (error) {
        return isRhizomeError(error) ? { code: error.code, path: error.path } : error;
      }
    };
    expect(attempt('{')).toMatchObject({ code: 'SCHEMA_INVALID' });
    expect(attempt({ name: 'a', properties: { x: { kind: 'colour', resolver: 'lww' } } })).toEqual({
      code: 'SCHEMA_INVALID',
      path: ['properties', 'x', 'kind'],
    });
    expect(
      attempt({ name: 'a', properties: { x: { kind: 'reference', resolver: 'set' } } }),
    ).toMatchObject({
      code: 'SCHEMA_INVALID',
    });
    expect(attempt({ name: 'a', properties: {}, extra: 1 })).toMatchObject({
      code: 'SCHEMA_INVALID',
    });
  });

  it('refuses to serialise a value function', () => {
    const schema = defineSchema({ name: 'f', properties: { a: prop.any({ value: () => 1 }) } });
    expect(() => serializeSchema(schema)).toThrow(
      expect.objectContaining({ code: 'SCHEMA_NOT_SERIALIZABLE' }),
    );
  });
});
