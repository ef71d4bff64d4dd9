import { z } from 'zod';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import type { Schema } from './schema.ts';
import type { ReadOptions } from './types.ts';

/**
 * A condition on one resolved property (or one hop through a reference: `author.name`). All given
 * parts must hold. On a set or list value the element-wise parts (`eq`, `in`, comparisons,
 * `contains`, `startsWith`) hold when one element satisfies them all; `ne` holds when no element
 * equals it. Every part but `exists: false` fails on a missing property.
 */
export interface Condition {
  readonly eq?: unknown;
  readonly ne?: unknown;
  readonly in?: readonly unknown[];
  readonly gt?: number | string;
  readonly gte?: number | string;
  readonly lt?: number | string;
  readonly lte?: number | string;
  /** A string value holding this substring. */
  readonly contains?: string;
  /** A string value starting with this prefix. */
  readonly startsWith?: string;
  /** true: the property has a value; false: it has none. */
  readonly exists?: boolean;
}

/**
 * A filter on the resolved view: every property condition and every combinator must hold. `and`,
 * `or` and `not` are reserved keys (nestable); any other key names a property, or one hop through
 * a reference property (`author.name`, see docs/semantics.md).
 */
export type Where = {
  readonly and?: readonly Where[];
  readonly or?: readonly Where[];
  readonly not?: Where;
} & { readonly [property: string]: Condition | readonly Where[] | Where | undefined };

export type SortDirection = 'asc' | 'desc';

/** One sort key: a property (or `ref.property`) and its direction (default `asc`). */
export interface OrderBy {
  readonly property: string;
  readonly direction?: SortDirection;
}

export interface PageOptions {
  /** At most this many ids (default 100). */
  readonly limit?: number;
  /** Start after this position (the `nextCursor` of the previous page). */
  readonly cursor?: string;
}

/** Options of `ViewStore.query`: a page, a read, a filter, an order and an optional count. */
export interface QueryOptions extends PageOptions, ReadOptions {
  readonly where?: Where;
  /** Sort keys in priority order; ties are broken by entity id (ascending). */
  readonly orderBy?: readonly OrderBy[];
  /** Also return `total`: how many entities match in all (whatever the cursor and limit). */
  readonly count?: boolean;
}

export interface Page {
  /** Entity ids in ascending code-unit order, or in `orderBy` order when given. */
  readonly ids: readonly string[];
  /** Present when there may be more: pass it as `cursor` for the next page. */
  readonly nextCursor?: string;
  /** With `count: true`: how many entities match the query in all. */
  readonly total?: number;
}

export const COMBINATORS = new Set(['and', 'or', 'not']);

const orderable = z.union([z.number(), z.string()]);

export const conditionSchema = z.strictObject({
  eq: z.unknown().optional(),
  ne: z.unknown().optional(),
  in: z.array(z.unknown()).optional(),
  gt: orderable.optional(),
  gte: orderable.optional(),
  lt: orderable.optional(),
  lte: orderable.optional(),
  contains: z.string().optional(),
  startsWith: z.string().optional(),
  exists: z.boolean().optional(),
});

/** The zod schema of `Where` (recursive through `and`, `or`, `not`). */
export const whereSchema: z.ZodType<Where> = z.lazy(() =>
  z
    .object({
      and: z.array(whereSchema).optional(),
      or: z.array(whereSchema).min(1, 'or needs at least one alternative').optional(),
      not: whereSchema.optional(),
    })
    .catchall(conditionSchema),
) as z.ZodType<Where>;

export const orderBySchema = z
  .array(
    z.strictObject({
      property: z.string().min(1),
      direction: z.enum(['asc', 'desc']).optional(),
    }),
  )
  .max(8, 'at most 8 sort keys');

const querySchema = z.object({
  limit: z.number().int().positive().optional(),
  cursor: z.string().optional(),
  where: whereSchema.optional(),
  orderBy: orderBySchema.optional(),
  count: z.boolean().optional(),
});

type ErrorPath = (string | number)[];

function fail(message: string, path: ErrorPath, details?: unknown): never {
  throw createViewsError(
    ViewsErrorCode.QueryInvalid,
    `invalid query at ${path.join('.')}: ${message}`,
    {
      path,
      ...(details === undefined ? {} : { details }),
    },
  );
}

/** Validates page, filter, order and count options; throws QUERY_INVALID with the bad part's path. */
export function assertValidQuery(options: {
  readonly limit?: number;
  readonly cursor?: string;
  readonly where?: unknown;
  readonly orderBy?: unknown;
  readonly count?: unknown;
}): void {
  const { limit, cursor, where, orderBy, count } = options;
  const result = querySchema.safeParse({ limit, cursor, where, orderBy, count });
  if (!result.success) {
    const issue = result.error.issues[0];
    const path =
      issue?.path.filter((part): part is string | number => typeof part !== 'symbol') ?? [];
    fail(issue?.message ?? 'malformed', path, result.error.issues);
  }
}

/**
 * Checks the property paths of a valid query against the schema: a dotted key (`author.name`)
 * that is not a declared property must start with a reference property that expands (depth ≥ 1)
 * and go one hop only. A schema resolved by an entity resolver declares no properties, so there
 * any key is taken as it is.
 */
export function assertQueryFitsSchema(
  schema: Schema,
  options: { readonly where?: Where; readonly orderBy?: readonly OrderBy[] },
): void {
  if (schema.entityResolver !== undefined) return;
  const check = (key: string, path: ErrorPath): void => {
    if (Object.hasOwn(schema.properties, key)) return;
    const dot = key.indexOf('.');
    if (dot < 0) return;
    const head = key.slice(0, dot);
    const definition = schema.properties[head];
    if (definition === undefined || definition.kind !== 'reference')
      fail(`"${head}" is not a reference property of schema "${schema.name}"`, path);
    if (definition.depth === 0) fail(`reference "${head}" does not expand (depth 0)`, path);
    if (key.slice(dot + 1).includes('.') || dot === key.length - 1)
      fail('a nested filter goes one hop: "<reference>.<property>"', path);
  };
  const walk = (where: Where, path: ErrorPath): void => {
    for (const [key, part] of Object.entries(where)) {
      if (part === undefined) continue;
      if (key === 'and' || key === 'or') {
        (part as readonly Where[]).forEach((inner, i) => walk(inner, [...path, key, i]));
      } else if (key === 'not') walk(part as Where, [...path, key]);
      else check(key, [...path, key]);
    }
  };
  if (options.where !== undefined) walk(options.where, ['where']);
  options.orderBy?.forEach((order, i) => check(order.property, ['orderBy', i, 'property']));
}

/** Sorted ids after `cursor`, in code-unit order (the cursor order). */
export function sortedAfter(ids: Iterable<string>, cursor: string | undefined): string[] {
  const sorted: string[] = [];
  for (const id of ids) if (cursor === undefined || id > cursor) sorted.push(id);
  return sorted.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export { matchesWhere, valuesAt } from './match-where.ts';
