import { z } from 'zod';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import type { ReadOptions } from './types.ts';
import { valueKey } from './value.ts';

/** A condition on one resolved property. All given parts must hold. */
export interface Condition {
  readonly eq?: unknown;
  readonly in?: readonly unknown[];
  readonly gt?: number | string;
  readonly gte?: number | string;
  readonly lt?: number | string;
  readonly lte?: number | string;
  /** true: the property has a value; false: it has none. */
  readonly exists?: boolean;
}

export type Where = Readonly<Record<string, Condition>>;

export interface PageOptions {
  /** At most this many ids (default 100). */
  readonly limit?: number;
  /** Start after this entity id (the `nextCursor` of the previous page). */
  readonly cursor?: string;
}

/** Options of `ViewStore.query`: a page, a read, and conditions on the resolved view. */
export interface QueryOptions extends PageOptions, ReadOptions {
  readonly where?: Where;
}

export interface Page {
  /** Entity ids in ascending code-unit order. */
  readonly ids: readonly string[];
  /** Present when there may be more: pass it as `cursor` for the next page. */
  readonly nextCursor?: string;
}

const orderable = z.union([z.number(), z.string()]);
const conditionSchema = z.strictObject({
  eq: z.unknown().optional(),
  in: z.array(z.unknown()).optional(),
  gt: orderable.optional(),
  gte: orderable.optional(),
  lt: orderable.optional(),
  lte: orderable.optional(),
  exists: z.boolean().optional(),
});
const pageSchema = z.object({
  limit: z.number().int().positive().optional(),
  cursor: z.string().optional(),
  where: z.record(z.string(), conditionSchema).optional(),
});

/** Validates page and filter options; throws QUERY_INVALID. */
export function assertValidQuery(options: PageOptions & { readonly where?: Where }): void {
  const result = pageSchema.safeParse(options);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw createViewsError(ViewsErrorCode.QueryInvalid, `invalid query: ${issue?.message ?? 'malformed'}`, {
      path: issue?.path.filter((part): part is string | number => typeof part !== 'symbol') ?? [],
      details: result.error.issues,
    });
  }
}

function compareOrderable(value: unknown, bound: number | string): number | undefined {
  if (typeof value !== typeof bound) return undefined;
  const v = value as number | string;
  return v < bound ? -1 : v > bound ? 1 : 0;
}

function matchesScalar(value: unknown, condition: Condition): boolean {
  if ('eq' in condition && valueKey(value) !== valueKey(condition.eq)) return false;
  if (condition.in !== undefined && !condition.in.some((candidate) => valueKey(candidate) === valueKey(value))) return false;
  const checks: [number | string | undefined, (order: number) => boolean][] = [
    [condition.gt, (o) => o > 0],
    [condition.gte, (o) => o >= 0],
    [condition.lt, (o) => o < 0],
    [condition.lte, (o) => o <= 0],
  ];
  for (const [bound, holds] of checks) {
    if (bound === undefined) continue;
    const order = compareOrderable(value, bound);
    if (order === undefined || !holds(order)) return false;
  }
  return true;
}

/**
 * True when the view satisfies every condition. For an array value (set, list) a condition
 * holds when some element satisfies it.
 */
export function matchesWhere(view: Readonly<Record<string, unknown>>, where: Where): boolean {
  for (const [property, condition] of Object.entries(where)) {
    const value = Object.hasOwn(view, property) ? view[property] : undefined;
    const present = value !== undefined && !(Array.isArray(value) && value.length === 0);
    if (condition.exists !== undefined && condition.exists !== present) return false;
    const { exists: _exists, ...rest } = condition;
    if (Object.keys(rest).length === 0) continue;
    if (!present) return false;
    const matches = Array.isArray(value)
      ? value.some((item) => matchesScalar(item, rest))
      : matchesScalar(value, rest);
    if (!matches) return false;
  }
  return true;
}

/** Sorted ids after `cursor`, in code-unit order (the cursor order). */
export function sortedAfter(ids: Iterable<string>, cursor: string | undefined): string[] {
  const sorted: string[] = [];
  for (const id of ids) if (cursor === undefined || id > cursor) sorted.push(id);
  return sorted.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
