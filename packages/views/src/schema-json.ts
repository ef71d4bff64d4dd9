import { z } from 'zod';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import { RESOLVER_NAMES, type ResolverSpec } from './resolvers.ts';
import { assertValidSchema, type PropertyDefinition, type Schema } from './schema.ts';
import type { EntityResolver, Resolver } from './types.ts';

/** The JSON form of a resolver: a built-in name or config, or a custom resolver by name. */
export type ResolverJson =
  | (typeof RESOLVER_NAMES)[number]
  | { readonly kind: 'lww'; readonly tieBreak?: 'id' | 'creator' | 'host' | 'value' }
  | { readonly kind: 'concat'; readonly separator?: string }
  | { readonly custom: string };

export interface PropertyJson {
  readonly kind: PropertyDefinition['kind'];
  readonly resolver: ResolverJson;
  readonly target?: string;
  readonly depth?: number;
  readonly value?: { readonly localContext: string };
}

/** The JSON form of a schema, as a server accepts it at runtime. */
export interface SchemaJson {
  readonly name: string;
  readonly properties: Readonly<Record<string, PropertyJson>>;
  /** A registered entity resolver, by name. */
  readonly entityResolver?: string;
}

const resolverJsonSchema = z.union([
  z.enum(RESOLVER_NAMES),
  z.strictObject({ kind: z.literal('lww'), tieBreak: z.enum(['id', 'creator', 'host', 'value']).optional() }),
  z.strictObject({ kind: z.literal('concat'), separator: z.string().optional() }),
  z.strictObject({ custom: z.string().min(1) }),
]);

const propertyJsonSchema = z.strictObject({
  kind: z.enum(['string', 'number', 'boolean', 'reference', 'any']),
  resolver: resolverJsonSchema,
  target: z.string().min(1).optional(),
  depth: z.number().int().min(0).optional(),
  value: z.strictObject({ localContext: z.string() }).optional(),
});

const schemaJsonSchema = z.strictObject({
  name: z.string().min(1),
  properties: z.record(z.string(), propertyJsonSchema),
  entityResolver: z.string().min(1).optional(),
});

/** Custom resolvers a parsed schema may name. */
export interface SchemaParseOptions {
  readonly resolvers?: Readonly<Record<string, Resolver>>;
  readonly entityResolvers?: Readonly<Record<string, EntityResolver>>;
}

function notSerializable(schema: Schema, path: (string | number)[], what: string): never {
  throw createViewsError(
    ViewsErrorCode.SchemaNotSerializable,
    `schema "${schema.name}": ${what} has no JSON form`,
    { path },
  );
}

function serializeResolver(schema: Schema, spec: ResolverSpec, path: (string | number)[]): ResolverJson {
  if (typeof spec === 'string') return spec;
  if ('resolve' in spec) {
    if (typeof spec.name !== 'string' || spec.name === '') notSerializable(schema, path, 'an unnamed custom resolver');
    return { custom: spec.name };
  }
  return spec;
}

/**
 * The JSON form of a schema. Custom resolvers and entity resolvers are written by name; a value
 * override function cannot be written and throws SCHEMA_NOT_SERIALIZABLE.
 */
export function serializeSchema(schema: Schema): SchemaJson {
  const properties: Record<string, PropertyJson> = {};
  for (const [name, definition] of Object.entries(schema.properties) as [string, PropertyDefinition][]) {
    const path = ['properties', name];
    if (typeof definition.value === 'function') notSerializable(schema, [...path, 'value'], 'a value function');
    Object.defineProperty(properties, name, {
      enumerable: true,
      value: {
        kind: definition.kind,
        resolver: serializeResolver(schema, definition.resolver, [...path, 'resolver']),
        ...(definition.target === undefined
          ? {}
          : { target: typeof definition.target === 'string' ? definition.target : definition.target.name }),
        ...(definition.depth === undefined ? {} : { depth: definition.depth }),
        ...(definition.value === undefined ? {} : { value: { localContext: definition.value.localContext } }),
      },
    });
  }
  return {
    name: schema.name,
    properties,
    ...(schema.entityResolver === undefined ? {} : { entityResolver: schema.entityResolver.name }),
  };
}

/**
 * Parses and validates a schema from JSON (an object, or a string of JSON). Throws SCHEMA_INVALID
 * with the path of the first problem; custom resolvers must be given in `options`. Nested targets
 * stay names, resolved through the store's schema registry.
 */
export function parseSchema(input: unknown, options: SchemaParseOptions = {}): Schema {
  let data = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (error) {
      throw createViewsError(ViewsErrorCode.SchemaInvalid, 'schema is not valid JSON', { cause: error });
    }
  }
  const result = schemaJsonSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.filter((part): part is string | number => typeof part !== 'symbol') ?? [];
    throw createViewsError(ViewsErrorCode.SchemaInvalid, `invalid schema at ${path.join('.') || '$'}: ${issue?.message ?? ''}`, {
      path,
      details: result.error.issues,
    });
  }
  const json = result.data;
  const properties: Record<string, PropertyDefinition> = {};
  for (const [name, property] of Object.entries(json.properties)) {
    let resolver: ResolverSpec;
    const spec = property.resolver;
    if (typeof spec === 'object' && 'custom' in spec) {
      const custom = options.resolvers?.[spec.custom];
      if (custom === undefined) {
        throw createViewsError(ViewsErrorCode.SchemaInvalid, `unknown custom resolver "${spec.custom}"`, {
          path: ['properties', name, 'resolver'],
        });
      }
      resolver = custom;
    } else {
      resolver = spec;
    }
    Object.defineProperty(properties, name, {
      enumerable: true,
      value: Object.freeze({
        kind: property.kind,
        resolver,
        ...(property.target === undefined ? {} : { target: property.target }),
        ...(property.depth === undefined ? {} : { depth: property.depth }),
        ...(property.value === undefined ? {} : { value: property.value }),
      }),
    });
  }
  let entityResolver: EntityResolver | undefined;
  if (json.entityResolver !== undefined) {
    entityResolver = options.entityResolvers?.[json.entityResolver];
    if (entityResolver === undefined) {
      throw createViewsError(ViewsErrorCode.SchemaInvalid, `unknown entity resolver "${json.entityResolver}"`, {
        path: ['entityResolver'],
      });
    }
  }
  if (Object.values(json.properties).some((p) => p.kind === 'reference' && p.target === undefined)) {
    throw createViewsError(ViewsErrorCode.SchemaInvalid, 'a reference property needs a target', { path: ['properties'] });
  }
  const schema: Schema = Object.freeze({
    name: json.name,
    properties: Object.freeze(properties),
    ...(entityResolver === undefined ? {} : { entityResolver }),
  });
  assertValidSchema(schema);
  return schema;
}
