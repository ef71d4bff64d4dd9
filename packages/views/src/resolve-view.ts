import type { Delta } from '@rhizome/core';
import { createResolver, type ResolverSpec } from './resolvers.ts';
import type { PropertyDefinition, PropertyKind, Schema, ValueOverride } from './schema.ts';
import type {
  EntityResolver,
  EntityResolverInput,
  ReadOptions,
  ResolverEntry,
  Value,
} from './types.ts';
import { hasReferenceInside, isCompositeValue, isReferenceValue, valueOf } from './value.ts';

/** A resolved view before nested references are expanded: plain data, references as `{ id }`. */
export type FlatView = Readonly<Record<string, unknown>>;

/** Options of a schemaless view: every property the entity has. */
export interface AllPropertiesOptions {
  /** Resolver per property; others use `defaultResolver`. */
  readonly resolvers?: Readonly<Record<string, ResolverSpec>>;
  /** Default last-write-wins. */
  readonly defaultResolver?: ResolverSpec;
  /** Resolves the whole entity instead. */
  readonly entityResolver?: EntityResolver;
}

export function createValueExtractor(
  override: ValueOverride | undefined,
  entityId: string,
  property: string,
): (delta: Delta) => Value {
  if (override === undefined) return (delta) => valueOf(delta, entityId, property);
  if (typeof override === 'function') return (delta) => override(delta, entityId, property);
  const localContext = override.localContext;
  return (delta) => {
    for (const pointer of delta.pointers)
      if (pointer.localContext === localContext) return pointer.target;
    return valueOf(delta, entityId, property);
  };
}

/** Whether a value is of the kind a schema property declares (other values are ignored). */
export function matchesKind(kind: PropertyKind, value: Value): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'reference':
      // A composite (a relation with roles or data) counts when it names some entity.
      return isReferenceValue(value) || (isCompositeValue(value) && hasReferenceInside(value));
    case 'any':
      return true;
  }
}

function freezeOutput(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value);
  return value;
}

function resolveProperty(
  entityId: string,
  property: string,
  deltas: readonly Delta[],
  kind: PropertyKind,
  spec: ResolverSpec,
  override: ValueOverride | undefined,
): unknown {
  const extract = createValueExtractor(override, entityId, property);
  const entries: ResolverEntry[] = [];
  for (const delta of deltas) {
    const value = extract(delta);
    if (matchesKind(kind, value)) entries.push({ delta, value });
  }
  return freezeOutput(createResolver(spec).resolve(entries, { entityId, property }));
}

/** Supplies an entity's negated deltas by property, for `EntityResolverInput.negatedDeltas`. */
export type NegatedDeltasSource = () => ReadonlyMap<string, readonly Delta[]>;

export function createEntityResolverInput(
  entityId: string,
  visible: ReadonlyMap<string, readonly Delta[]>,
  read: ReadOptions,
  overrideOf: (property: string) => ValueOverride | undefined,
  negated?: NegatedDeltasSource,
): EntityResolverInput {
  let negatedCache: ReadonlyMap<string, readonly Delta[]> | undefined;
  return {
    entityId,
    properties: visible,
    valueOf: (delta, property) =>
      createValueExtractor(overrideOf(property), entityId, property)(delta),
    read,
    ...(negated === undefined ? {} : { negatedDeltas: () => (negatedCache ??= negated()) }),
  };
}

/** The flat view of an entity under a schema, from its visible deltas. */
export function resolveSchemaFlat(
  schema: Schema,
  entityId: string,
  visible: ReadonlyMap<string, readonly Delta[]>,
  read: ReadOptions,
  negated?: NegatedDeltasSource,
): FlatView {
  if (schema.entityResolver !== undefined) {
    const input = createEntityResolverInput(
      entityId,
      visible,
      read,
      (property) => schema.properties[property]?.value,
      negated,
    );
    return schema.entityResolver.resolve(input) as FlatView;
  }
  const entries: [string, unknown][] = [];
  for (const [property, definition] of Object.entries(schema.properties) as [
    string,
    PropertyDefinition,
  ][]) {
    const deltas = visible.get(property) ?? [];
    const value = resolveProperty(
      entityId,
      property,
      deltas,
      definition.kind,
      definition.resolver,
      definition.value,
    );
    if (value !== undefined) entries.push([property, value]);
  }
  return Object.freeze(Object.fromEntries(entries));
}

/** The flat view of every property the entity has (no schema). */
export function resolveAllFlat(
  entityId: string,
  visible: ReadonlyMap<string, readonly Delta[]>,
  read: ReadOptions,
  options: AllPropertiesOptions = {},
  negated?: NegatedDeltasSource,
): FlatView {
  if (options.entityResolver !== undefined) {
    const input = createEntityResolverInput(entityId, visible, read, () => undefined, negated);
    return options.entityResolver.resolve(input) as FlatView;
  }
  const entries: [string, unknown][] = [];
  for (const [property, deltas] of visible) {
    const spec = options.resolvers?.[property] ?? options.defaultResolver ?? 'lww';
    const value = resolveProperty(entityId, property, deltas, 'any', spec, undefined);
    if (value !== undefined) entries.push([property, value]);
  }
  return Object.freeze(Object.fromEntries(entries));
}

/**
 * The references in a resolved property value: a reference, a composite's references, or those of
 * an array of them, in order.
 */
export function referencesIn(value: unknown): string[] {
  if (isReferenceValue(value)) return [value.id];
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (isCompositeValue(value)) return Object.values(value).flatMap(referencesIn);
  return [];
}
