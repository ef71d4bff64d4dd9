import type { Delta } from '@rhizome/core';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import type { ResolverSpec } from './resolvers.ts';
import {
  createValueExtractor,
  matchesKind,
  referencesIn,
  resolveSchemaFlat,
  type FlatView,
} from './resolve-view.ts';
import type { PropertyDefinition, PropertyKind, Schema } from './schema.ts';
import type { Hyperview, ReadOptions, Value } from './types.ts';
import { isCompositeValue, isReferenceValue } from './value.ts';

/** Stable codes of the problems a validation report lists. */
export const ValidationProblemCode = {
  /** A required property has no value of its kind. */
  Missing: 'MISSING',
  /** Visible deltas give the property values of another kind; resolution skips them. */
  IgnoredValues: 'IGNORED_VALUES',
  /** The resolved value is not what the kind and resolver promise (a custom or entity resolver's output). */
  WrongType: 'WRONG_TYPE',
  /** A referenced entity has no visible delta under any property of the reference's target schema. */
  ReferenceUnresolved: 'REFERENCE_UNRESOLVED',
} as const;

export type ValidationProblemCode =
  (typeof ValidationProblemCode)[keyof typeof ValidationProblemCode];

/** How many delta or entity ids a problem lists at most; `count` says how many there were. */
export const VALIDATION_MAX_LISTED = 10;

export type ValidationProblem =
  | { readonly property: string; readonly code: 'MISSING' }
  | {
      readonly property: string;
      readonly code: 'IGNORED_VALUES';
      readonly expected: PropertyKind;
      /** The kinds of the skipped values (`describeValue`), distinct, in order of first delta. */
      readonly found: readonly string[];
      /** The first `VALIDATION_MAX_LISTED` deltas giving them, in total order. */
      readonly deltas: readonly string[];
      readonly count: number;
    }
  | {
      readonly property: string;
      readonly code: 'WRONG_TYPE';
      /** e.g. `string`, `number`, `reference[]` (a list of references). */
      readonly expected: string;
      readonly found: string;
    }
  | {
      readonly property: string;
      readonly code: 'REFERENCE_UNRESOLVED';
      readonly target: string;
      /** The first `VALIDATION_MAX_LISTED` such entities, in the resolved value's order. */
      readonly ids: readonly string[];
      readonly count: number;
    };

/** One entity checked against one schema; `valid` when `problems` is empty. */
export interface ValidationReport {
  readonly id: string;
  readonly schema: string;
  readonly valid: boolean;
  readonly problems: readonly ValidationProblem[];
}

/** What validation reads: a view store, or anything that answers the same three calls. */
export interface ValidationSource {
  hyperview(entityId: string, read?: ReadOptions): Hyperview;
  resolve(schema: Schema, entityId: string, read?: ReadOptions): unknown;
  getSchema(name: string): Schema | undefined;
}

/** The kind of a value as a report names it. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (isReferenceValue(value as Value)) return 'reference';
  if (isCompositeValue(value as Value)) return 'composite';
  return typeof value;
}

type Output = 'scalar' | 'list' | 'number' | 'string' | 'scalar-or-list';

// What a property's resolved value is, by resolver: built-ins are fixed; a custom resolver may
// return one value or a list of them.
function outputOf(spec: ResolverSpec): Output {
  if (typeof spec === 'string') {
    switch (spec) {
      case 'set':
      case 'list':
        return 'list';
      case 'min':
      case 'max':
      case 'sum':
      case 'average':
      case 'count':
        return 'number';
      case 'concat':
        return 'string';
      default:
        return 'scalar';
    }
  }
  if ('resolve' in spec) return 'scalar-or-list';
  return spec.kind === 'concat' ? 'string' : 'scalar';
}

function expectedName(kind: PropertyKind, output: Output): string {
  switch (output) {
    case 'list':
      return `${kind}[]`;
    case 'scalar-or-list':
      return `${kind} or ${kind}[]`;
    case 'number':
    case 'string':
      return output;
    case 'scalar':
      return kind;
  }
}

function conforms(kind: PropertyKind, output: Output, value: unknown): boolean {
  const scalar = (item: unknown): boolean => matchesKind(kind, item as Value);
  const list = (): boolean => Array.isArray(value) && value.every(scalar);
  switch (output) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'list':
      return list();
    case 'scalar':
      return !Array.isArray(value) && scalar(value);
    case 'scalar-or-list':
      return Array.isArray(value) ? list() : scalar(value);
  }
}

const isEmpty = (value: unknown): boolean =>
  value === undefined || (Array.isArray(value) && value.length === 0);

/** Whether a query under `schema` would list the entity: a visible delta under one of its properties. */
function isListedUnder(
  source: ValidationSource,
  schema: Schema,
  entityId: string,
  read: ReadOptions,
): boolean {
  const visible = source.hyperview(entityId, read).properties;
  if (schema.entityResolver !== undefined) return visible.size > 0;
  for (const property of Object.keys(schema.properties)) {
    if ((visible.get(property)?.length ?? 0) > 0) return true;
  }
  return false;
}

function lookupTarget(source: ValidationSource, target: string | Schema): Schema {
  if (typeof target !== 'string') return target;
  const schema = source.getSchema(target);
  if (schema === undefined) {
    throw createViewsError(
      ViewsErrorCode.SchemaUnknown,
      `no schema named "${target}" is registered`,
      { details: { name: target } },
    );
  }
  return schema;
}

// Values of another kind among the property's visible deltas (resolution skips them).
function ignoredValues(
  entityId: string,
  property: string,
  definition: PropertyDefinition,
  deltas: readonly Delta[],
): { readonly present: boolean; readonly problem: ValidationProblem | undefined } {
  const extract = createValueExtractor(definition.value, entityId, property);
  let present = false;
  const found: string[] = [];
  const ids: string[] = [];
  let count = 0;
  for (const delta of deltas) {
    const value = extract(delta);
    if (matchesKind(definition.kind, value)) {
      present = true;
      continue;
    }
    count++;
    const name = describeValue(value);
    if (!found.includes(name)) found.push(name);
    if (ids.length < VALIDATION_MAX_LISTED) ids.push(delta.id);
  }
  const problem: ValidationProblem | undefined =
    count === 0
      ? undefined
      : {
          property,
          code: ValidationProblemCode.IgnoredValues,
          expected: definition.kind,
          found,
          deltas: ids,
          count,
        };
  return { present, problem };
}

/**
 * Checks one entity's view against a schema, for the read (`asOf`, `filter`). For each declared
 * property, in declaration order:
 * - `MISSING`: it is `required` and no visible delta gives it a value of its kind (under an entity
 *   resolver, which reads deltas its own way: the resolved view has no value, or an empty list);
 * - `IGNORED_VALUES`: visible deltas give it values of another kind, which resolution skips;
 * - `WRONG_TYPE`: its resolved value is not what its kind and resolver promise (only a custom
 *   resolver or an entity resolver can produce one);
 * - `REFERENCE_UNRESOLVED`: a reference property's resolved value names entities with no visible
 *   delta under any property of the target schema (those a query of it would not list); one hop,
 *   the referenced entities are not validated in turn.
 * Throws SCHEMA_UNKNOWN when a reference names a schema the source does not know.
 */
export function validateEntity(
  source: ValidationSource,
  schema: Schema,
  entityId: string,
  read: ReadOptions = {},
): ValidationReport {
  const problems: ValidationProblem[] = [];
  const usesEntityResolver = schema.entityResolver !== undefined;
  const visible = source.hyperview(entityId, read).properties;
  // Flat: references stay `{ id }`, so they can be listed whatever the target schema resolves to.
  const view: FlatView = usesEntityResolver
    ? (source.resolve(schema, entityId, read) as FlatView)
    : resolveSchemaFlat(schema, entityId, visible, read);
  for (const [property, definition] of Object.entries(schema.properties) as [
    string,
    PropertyDefinition,
  ][]) {
    const value = Object.hasOwn(view, property) ? view[property] : undefined;
    if (usesEntityResolver) {
      if (definition.required === true && isEmpty(value))
        problems.push({ property, code: ValidationProblemCode.Missing });
    } else {
      const checked = ignoredValues(entityId, property, definition, visible.get(property) ?? []);
      if (definition.required === true && !checked.present)
        problems.push({ property, code: ValidationProblemCode.Missing });
      if (checked.problem !== undefined) problems.push(checked.problem);
    }
    if (value === undefined) continue;
    const output = usesEntityResolver ? 'scalar-or-list' : outputOf(definition.resolver);
    if (!conforms(definition.kind, output, value)) {
      problems.push({
        property,
        code: ValidationProblemCode.WrongType,
        expected: expectedName(definition.kind, output),
        found: describeValue(value),
      });
      continue;
    }
    if (definition.kind !== 'reference' || definition.target === undefined) continue;
    const target = lookupTarget(source, definition.target);
    const unresolved = [...new Set(referencesIn(value))].filter(
      (id) => !isListedUnder(source, target, id, read),
    );
    if (unresolved.length > 0) {
      problems.push({
        property,
        code: ValidationProblemCode.ReferenceUnresolved,
        target: target.name,
        ids: unresolved.slice(0, VALIDATION_MAX_LISTED),
        count: unresolved.length,
      });
    }
  }
  return { id: entityId, schema: schema.name, valid: problems.length === 0, problems };
}
