import type { Condition, Where } from './query.ts';
import { valueKey } from './value.ts';

type View = Readonly<Record<string, unknown>>;

function ownValue(record: View, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isRecord(value: unknown): value is View {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pushValue(out: unknown[], value: unknown): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value as readonly unknown[]) if (item !== undefined) out.push(item);
  } else out.push(value);
}

/**
 * The values a key reads from a view: the property's value (each element of a set or list), or
 * for `ref.property` (when no property is called that) the property of each nested view the
 * reference property holds. Empty when the property is missing or an empty collection.
 */
export function valuesAt(view: View, key: string): unknown[] {
  const out: unknown[] = [];
  if (Object.hasOwn(view, key)) {
    pushValue(out, view[key]);
    return out;
  }
  const dot = key.indexOf('.');
  if (dot < 0) return out;
  const head = ownValue(view, key.slice(0, dot));
  const tail = key.slice(dot + 1);
  const nested = Array.isArray(head) ? (head as readonly unknown[]) : [head];
  for (const item of nested) if (isRecord(item)) pushValue(out, ownValue(item, tail));
  return out;
}

function compareOrderable(value: unknown, bound: number | string): number | undefined {
  if (typeof value !== typeof bound) return undefined;
  const v = value as number | string;
  return v < bound ? -1 : v > bound ? 1 : 0;
}

// Holds when one value satisfies every element-wise part of the condition.
function matchesElement(value: unknown, condition: Condition): boolean {
  if ('eq' in condition && valueKey(value) !== valueKey(condition.eq)) return false;
  if (condition.in !== undefined && !condition.in.some((c) => valueKey(c) === valueKey(value)))
    return false;
  if (condition.contains !== undefined)
    if (typeof value !== 'string' || !value.includes(condition.contains)) return false;
  if (condition.startsWith !== undefined)
    if (typeof value !== 'string' || !value.startsWith(condition.startsWith)) return false;
  const bounds: [number | string | undefined, (order: number) => boolean][] = [
    [condition.gt, (o) => o > 0],
    [condition.gte, (o) => o >= 0],
    [condition.lt, (o) => o < 0],
    [condition.lte, (o) => o <= 0],
  ];
  for (const [bound, holds] of bounds) {
    if (bound === undefined) continue;
    const order = compareOrderable(value, bound);
    if (order === undefined || !holds(order)) return false;
  }
  return true;
}

const ELEMENT_PARTS = ['eq', 'in', 'gt', 'gte', 'lt', 'lte', 'contains', 'startsWith'] as const;

function matchesCondition(values: readonly unknown[], condition: Condition): boolean {
  const present = values.length > 0;
  if (condition.exists !== undefined && condition.exists !== present) return false;
  const hasNe = 'ne' in condition;
  const hasElementPart = ELEMENT_PARTS.some((part) => part in condition);
  if (!hasNe && !hasElementPart) return true;
  if (!present) return false;
  if (hasNe) {
    const key = valueKey(condition.ne);
    if (values.some((value) => valueKey(value) === key)) return false;
  }
  return !hasElementPart || values.some((value) => matchesElement(value, condition));
}

/**
 * True when the view satisfies the filter: every property condition holds, every `and` member
 * holds, one `or` member holds, and `not` does not hold.
 */
export function matchesWhere(view: View, where: Where): boolean {
  for (const [key, part] of Object.entries(where)) {
    if (part === undefined) continue;
    if (key === 'and') {
      if (!(part as readonly Where[]).every((inner) => matchesWhere(view, inner))) return false;
    } else if (key === 'or') {
      if (!(part as readonly Where[]).some((inner) => matchesWhere(view, inner))) return false;
    } else if (key === 'not') {
      if (matchesWhere(view, part as Where)) return false;
    } else if (!matchesCondition(valuesAt(view, key), part as Condition)) return false;
  }
  return true;
}
