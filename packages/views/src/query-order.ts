import { valuesAt } from './match-where.ts';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import type { OrderBy, Page } from './query.ts';
import { compareValues, isReferenceValue } from './value.ts';

/**
 * One property's sort key: the first value the key reads (a set or list sorts by its first
 * element, a nested view by its id), or null when the property is missing. JSON-safe, so that it
 * travels in a cursor.
 */
export type SortKey = null | boolean | number | string | { readonly id: string };

/** A matching entity with its sort keys, one per `orderBy` entry. */
export interface SortEntry {
  readonly id: string;
  readonly keys: readonly SortKey[];
}

const CURSOR_PREFIX = 'k1.';

function toSortKey(value: unknown): SortKey {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string')
    return { id: (value as { id: string }).id };
  return JSON.stringify(value);
}

/** The sort keys of a resolved view under `orderBy`. */
export function sortKeysOf(
  view: Readonly<Record<string, unknown>>,
  orderBy: readonly OrderBy[],
): SortKey[] {
  return orderBy.map((order) => toSortKey(valuesAt(view, order.property)[0]));
}

// Missing values sort last in either direction; present ones in the total order of values
// (booleans < numbers < strings < references), reversed for `desc`.
function compareKey(a: SortKey, b: SortKey, direction: 'asc' | 'desc' | undefined): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const order = compareValues(
    isReferenceValue(a) ? { id: a.id } : a,
    isReferenceValue(b) ? { id: b.id } : b,
  );
  return direction === 'desc' ? -order : order;
}

/** The order of query results: by each sort key in turn, then by entity id ascending. */
export function compareEntries(a: SortEntry, b: SortEntry, orderBy: readonly OrderBy[]): number {
  for (let i = 0; i < orderBy.length; i++) {
    const order = compareKey(a.keys[i] ?? null, b.keys[i] ?? null, orderBy[i]!.direction);
    if (order !== 0) return order;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// base64url of UTF-8 with the platform's btoa/atob, so the package stays free of Node's Buffer.
function toBase64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

function encodeCursor(entry: SortEntry, orderBy: readonly OrderBy[]): string {
  const spec = orderBy.map((order) => [order.property, order.direction ?? 'asc']);
  const json = JSON.stringify({ o: spec, k: entry.keys, id: entry.id });
  return CURSOR_PREFIX + toBase64Url(json);
}

function invalidCursor(message: string): never {
  throw createViewsError(ViewsErrorCode.QueryInvalid, `invalid query at cursor: ${message}`, {
    path: ['cursor'],
  });
}

function isSortKey(value: unknown): value is SortKey {
  if (value === null) return true;
  if (['boolean', 'string'].includes(typeof value)) return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return isReferenceValue(value);
}

/** The position a sorted cursor stands for; QUERY_INVALID when it is not one of this order. */
export function decodeCursor(cursor: string, orderBy: readonly OrderBy[]): SortEntry {
  if (!cursor.startsWith(CURSOR_PREFIX)) invalidCursor('not a cursor of a sorted query');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(cursor.slice(CURSOR_PREFIX.length)));
  } catch {
    invalidCursor('malformed');
  }
  const { o, k, id } = (parsed ?? {}) as { o?: unknown; k?: unknown; id?: unknown };
  const spec = JSON.stringify(orderBy.map((order) => [order.property, order.direction ?? 'asc']));
  if (JSON.stringify(o) !== spec) invalidCursor('it was made for a different orderBy');
  if (
    typeof id !== 'string' ||
    !Array.isArray(k) ||
    k.length !== orderBy.length ||
    !k.every(isSortKey)
  )
    invalidCursor('malformed');
  return { id, keys: k as SortKey[] };
}

/**
 * One page of every matching entry: sorted, after the cursor (a keyset position: sort keys and
 * id), at most `limit`, with `nextCursor` exactly when more matches follow.
 */
export function selectSortedPage(
  entries: SortEntry[],
  orderBy: readonly OrderBy[],
  cursor: string | undefined,
  limit: number,
): Page {
  const after = cursor === undefined ? undefined : decodeCursor(cursor, orderBy);
  entries.sort((a, b) => compareEntries(a, b, orderBy));
  let start = 0;
  if (after !== undefined) {
    while (start < entries.length && compareEntries(entries[start]!, after, orderBy) <= 0) start++;
  }
  const page = entries.slice(start, start + limit);
  const last = page[page.length - 1];
  const more = start + limit < entries.length;
  return more && last !== undefined
    ? { ids: page.map((entry) => entry.id), nextCursor: encodeCursor(last, orderBy) }
    : { ids: page.map((entry) => entry.id) };
}

/** Entries in id order after an id cursor, with `nextCursor` exactly when more follow. */
export function pageAfterId(
  entries: readonly SortEntry[],
  cursor: string | undefined,
  limit: number,
): Page {
  const after = cursor === undefined ? entries : entries.filter((entry) => entry.id > cursor);
  const ids = after.slice(0, limit).map((entry) => entry.id);
  return after.length > limit ? { ids, nextCursor: ids[ids.length - 1]! } : { ids };
}
