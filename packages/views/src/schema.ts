import type { Primitive } from '@rhizome/core';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import {
  createResolver,
  type ConcatConfig,
  type LwwConfig,
  type ResolverSpec,
} from './resolvers.ts';
import type { EntityResolver, Resolver, Value, ValueExtractor } from './types.ts';

export type PropertyKind = 'string' | 'number' | 'boolean' | 'reference' | 'any';

/**
 * Overrides the value rule for one property: take the target of the delta's pointer with this
 * localContext (serialisable), or compute it (not serialisable).
 */
export type ValueOverride = { readonly localContext: string } | ValueExtractor;

/** A nested schema: by name (looked up in the store's registry) or the schema itself. */
export type SchemaTarget = string | Schema;

export interface PropertyDefinition<
  Kind extends PropertyKind = PropertyKind,
  Spec extends ResolverSpec = ResolverSpec,
  Target extends SchemaTarget = SchemaTarget,
> {
  readonly kind: Kind;
  readonly resolver: Spec;
  /** References only: the schema of the referenced entities. */
  readonly target?: Target;
  /** References only: how many levels of nested views to expand (default 1). */
  readonly depth?: number;
  readonly value?: ValueOverride;
  /**
   * The property must have a value: `validateEntity` reports an entity where no visible delta
   * gives it one of its kind. Resolution ignores it (a view may still lack the property), since
   * deltas from anywhere are accepted; validation is a report, not a write check.
   */
  readonly required?: boolean;
}

export type PropertyDefinitions = Readonly<Record<string, PropertyDefinition>>;

export interface Schema<
  Properties extends PropertyDefinitions = PropertyDefinitions,
  Entity extends EntityResolver | undefined = EntityResolver | undefined,
> {
  readonly name: string;
  readonly properties: Properties;
  /** Resolves the whole entity instead of per-property resolvers (e.g. a plugin pipeline). */
  readonly entityResolver?: Entity;
}

/** A nested entity whose schema is known only by name. */
export interface NestedEntity {
  readonly id: string;
  readonly [property: string]: unknown;
}

/** A nested entity: its id, and its view if the depth bound allowed expanding it. */
export type NestedOf<Target> = Target extends Schema
  ? { readonly id: string } & Partial<ViewOf<Target>>
  : NestedEntity;

/**
 * A composite value under a reference property (a relation delta with roles or data besides the
 * entity): its other pointers by localContext, with each reference nested like `NestedOf<Target>`.
 */
export interface NestedComposite<Target> {
  readonly [localContext: string]:
    Primitive | NestedOf<Target> | readonly (Primitive | NestedOf<Target>)[];
}

type ScalarOf<Kind, Target> = Kind extends 'string'
  ? string
  : Kind extends 'number'
    ? number
    : Kind extends 'boolean'
      ? boolean
      : Kind extends 'reference'
        ? NestedOf<Target> | NestedComposite<Target>
        : Value;

type OutputOf<Spec, Scalar> = Spec extends 'set' | 'list'
  ? Scalar[]
  : Spec extends 'count' | 'sum'
    ? number
    : Spec extends 'min' | 'max' | 'average'
      ? number | undefined
      : Spec extends 'concat' | ConcatConfig
        ? string | undefined
        : Spec extends LwwConfig
          ? Scalar | undefined
          : Spec extends Resolver<infer Out>
            ? Out | undefined
            : Scalar | undefined;

/** The resolved type of one property definition. */
export type PropertyOutput<Definition> = Definition extends PropertyDefinition
  ? OutputOf<
      Definition['resolver'],
      ScalarOf<Definition['kind'], Exclude<Definition['target'], undefined>>
    >
  : never;

type RequiredKeys<Properties> = {
  [K in keyof Properties]: undefined extends PropertyOutput<Properties[K]> ? never : K;
}[keyof Properties];
type OptionalKeys<Properties> = Exclude<keyof Properties, RequiredKeys<Properties>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The static type of a schema's resolved view: only its declared properties; a property with no
 * value is absent (set, list, count and sum always have one).
 */
export type ViewOf<S> =
  S extends Schema<infer Properties, infer Entity>
    ? Entity extends EntityResolver<infer Out>
      ? Out
      : Simplify<
          { readonly [K in RequiredKeys<Properties>]: PropertyOutput<Properties[K]> } & {
            readonly [K in OptionalKeys<Properties>]?: Exclude<
              PropertyOutput<Properties[K]>,
              undefined
            >;
          }
        >
    : never;

export interface PropertyOptions<Spec extends ResolverSpec> {
  readonly resolver?: Spec;
  readonly value?: ValueOverride;
  /** See `PropertyDefinition.required`. */
  readonly required?: boolean;
}

export interface ReferenceOptions<Spec extends ResolverSpec> extends PropertyOptions<Spec> {
  readonly depth?: number;
}

function createProperty<
  Kind extends PropertyKind,
  Spec extends ResolverSpec,
  Target extends SchemaTarget,
>(
  kind: Kind,
  resolver: Spec,
  options: ReferenceOptions<Spec> | undefined,
  target?: Target,
): PropertyDefinition<Kind, Spec, Target> {
  return Object.freeze({
    kind,
    resolver,
    ...(target === undefined ? {} : { target }),
    ...(options?.depth === undefined ? {} : { depth: options.depth }),
    ...(options?.value === undefined ? {} : { value: options.value }),
    // `false` is dropped, so a schema without required properties keeps its old shape and JSON
    // (anything but a boolean is kept for `assertValidSchema` to reject).
    ...(options?.required === undefined || options.required === false
      ? {}
      : { required: options.required }),
  });
}

/** Property builders. The resolver defaults to last-write-wins (`set` for `references`). */
export const prop = {
  string: <const Spec extends ResolverSpec = 'lww'>(
    options?: PropertyOptions<Spec>,
  ): NoInfer<PropertyDefinition<'string', Spec, never>> =>
    createProperty<'string', Spec, never>('string', options?.resolver ?? ('lww' as Spec), options),
  number: <const Spec extends ResolverSpec = 'lww'>(
    options?: PropertyOptions<Spec>,
  ): NoInfer<PropertyDefinition<'number', Spec, never>> =>
    createProperty<'number', Spec, never>('number', options?.resolver ?? ('lww' as Spec), options),
  boolean: <const Spec extends ResolverSpec = 'lww'>(
    options?: PropertyOptions<Spec>,
  ): NoInfer<PropertyDefinition<'boolean', Spec, never>> =>
    createProperty<'boolean', Spec, never>(
      'boolean',
      options?.resolver ?? ('lww' as Spec),
      options,
    ),
  /** Any value: primitives, references and composites. */
  any: <const Spec extends ResolverSpec = 'lww'>(
    options?: PropertyOptions<Spec>,
  ): NoInfer<PropertyDefinition<'any', Spec, never>> =>
    createProperty<'any', Spec, never>('any', options?.resolver ?? ('lww' as Spec), options),
  /** One referenced entity (last-write-wins by default), expanded with `target`'s view. */
  reference: <const Target extends SchemaTarget, const Spec extends ResolverSpec = 'lww'>(
    target: Target,
    options?: ReferenceOptions<Spec>,
  ): NoInfer<PropertyDefinition<'reference', Spec, Target>> =>
    createProperty<'reference', Spec, Target>(
      'reference',
      options?.resolver ?? ('lww' as Spec),
      options,
      target,
    ),
  /** Many referenced entities (distinct, `set`, by default). */
  references: <const Target extends SchemaTarget, const Spec extends ResolverSpec = 'set'>(
    target: Target,
    options?: ReferenceOptions<Spec>,
  ): NoInfer<PropertyDefinition<'reference', Spec, Target>> =>
    createProperty<'reference', Spec, Target>(
      'reference',
      options?.resolver ?? ('set' as Spec),
      options,
      target,
    ),
};

const RESERVED_PROPERTY_NAMES = new Set(['id', '__proto__']);

/** Checks a schema's shape; throws SCHEMA_INVALID with the offending path. */
export function assertValidSchema(schema: Schema): void {
  const fail = (message: string, path: (string | number)[], cause?: unknown): never => {
    throw createViewsError(ViewsErrorCode.SchemaInvalid, `schema "${schema.name}": ${message}`, {
      path,
      cause,
    });
  };
  if (typeof schema.name !== 'string' || schema.name === '')
    fail('name must be a non-empty string', ['name']);
  if (typeof schema.properties !== 'object' || schema.properties === null)
    fail('properties must be an object', ['properties']);
  for (const [name, definition] of Object.entries(schema.properties)) {
    const path = ['properties', name];
    if (name === '' || RESERVED_PROPERTY_NAMES.has(name))
      fail(`property name "${name}" is reserved`, path);
    if (!['string', 'number', 'boolean', 'reference', 'any'].includes(definition.kind)) {
      fail(`unknown kind "${String(definition.kind)}"`, [...path, 'kind']);
    }
    try {
      createResolver(definition.resolver);
    } catch (error) {
      fail(`invalid resolver`, [...path, 'resolver'], error);
    }
    if (definition.kind === 'reference') {
      const target = definition.target;
      if (
        !(typeof target === 'string' && target !== '') &&
        !(typeof target === 'object' && target !== null)
      ) {
        fail('a reference needs a target schema or schema name', [...path, 'target']);
      }
      const depth = definition.depth;
      if (depth !== undefined && (!Number.isInteger(depth) || depth < 0)) {
        fail('depth must be a non-negative integer', [...path, 'depth']);
      }
    }
    if (definition.required !== undefined && typeof definition.required !== 'boolean')
      fail('required must be a boolean', [...path, 'required']);
    const value = definition.value;
    if (
      value !== undefined &&
      typeof value !== 'function' &&
      typeof value.localContext !== 'string'
    ) {
      fail('value override must be { localContext } or a function', [...path, 'value']);
    }
  }
  const entity = schema.entityResolver;
  if (
    entity !== undefined &&
    (typeof entity.name !== 'string' || typeof entity.resolve !== 'function')
  ) {
    fail('entityResolver must have a name and a resolve function', ['entityResolver']);
  }
}

/**
 * Declares a schema. The resolved view's static type is `ViewOf<typeof schema>`; no codegen.
 * Throws SCHEMA_INVALID when the definition is malformed.
 */
export function defineSchema<
  const Properties extends PropertyDefinitions,
  Entity extends EntityResolver | undefined = undefined,
>(definition: {
  readonly name: string;
  readonly properties: Properties;
  readonly entityResolver?: Entity;
}): Schema<Properties, Entity> {
  const schema: Schema<Properties, Entity> = Object.freeze({
    name: definition.name,
    properties: Object.freeze({ ...definition.properties }),
    ...(definition.entityResolver === undefined
      ? {}
      : { entityResolver: definition.entityResolver }),
  });
  assertValidSchema(schema);
  return schema;
}
