import { compareDeltas, type Delta } from '@rhizome/core';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import type { Resolver, ResolverEntry, Value } from './types.ts';
import { compareValues, valueKey } from './value.ts';

/** Names of the built-in resolvers. */
export const RESOLVER_NAMES = [
  'lww',
  'fww',
  'min',
  'max',
  'sum',
  'average',
  'count',
  'concat',
  'majority',
  'set',
  'list',
] as const;

export type ResolverName = (typeof RESOLVER_NAMES)[number];

/** How last-write-wins breaks a tie in `timeCreated`; `id` is the default and the total order. */
export type TieBreak = 'id' | 'creator' | 'host' | 'value';

export interface LwwConfig {
  readonly kind: 'lww';
  readonly tieBreak?: TieBreak;
}

export interface ConcatConfig {
  readonly kind: 'concat';
  readonly separator?: string;
}

/** A resolver by name, by configuration, or a custom `Resolver`. */
export type ResolverSpec = ResolverName | LwwConfig | ConcatConfig | Resolver;

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two entries with equal `timeCreated` by the tie-break (before the final id order). */
function compareTie(a: ResolverEntry, b: ResolverEntry, tieBreak: TieBreak): number {
  switch (tieBreak) {
    case 'creator':
      return compareStrings(a.delta.creator, b.delta.creator);
    case 'host':
      return compareStrings(a.delta.host, b.delta.host);
    case 'value':
      return compareValues(a.value, b.value);
    case 'id':
      return compareStrings(a.delta.id, b.delta.id);
  }
}

/** Last-write-wins order: positive when `a` wins over `b`. */
export function compareLww(a: ResolverEntry, b: ResolverEntry, tieBreak: TieBreak): number {
  const time = a.delta.timeCreated - b.delta.timeCreated;
  return time !== 0 ? time : compareTie(a, b, tieBreak) || compareDeltas(a.delta, b.delta);
}

function createLww(tieBreak: TieBreak): Resolver<Value> {
  return {
    name: tieBreak === 'id' ? 'lww' : `lww:${tieBreak}`,
    resolve(entries) {
      let best: ResolverEntry | undefined;
      for (const entry of entries) {
        if (best === undefined || compareLww(entry, best, tieBreak) > 0) best = entry;
      }
      return best?.value;
    },
  };
}

const fww: Resolver<Value> = {
  name: 'fww',
  resolve(entries) {
    let best: ResolverEntry | undefined;
    for (const entry of entries)
      if (best === undefined || compareDeltas(entry.delta, best.delta) < 0) best = entry;
    return best?.value;
  },
};

function isNumber(value: Value): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function createNumeric(
  name: string,
  reduce: (numbers: number[]) => number | undefined,
): Resolver<number> {
  return {
    name,
    resolve(entries) {
      const numbers: number[] = [];
      for (const entry of entries) if (isNumber(entry.value)) numbers.push(entry.value);
      return reduce(numbers);
    },
  };
}

// Summation in total order, so floating-point rounding is the same on every node.
const sumOf = (numbers: number[]): number => numbers.reduce((total, n) => total + n, 0);

const count: Resolver<number> = { name: 'count', resolve: (entries) => entries.length };

function createConcat(separator: string): Resolver<string> {
  return {
    name: separator === '' ? 'concat' : `concat:${separator}`,
    resolve(entries) {
      const parts: string[] = [];
      for (const entry of inTotalOrder(entries))
        if (typeof entry.value === 'string') parts.push(entry.value);
      return parts.length === 0 ? undefined : parts.join(separator);
    },
  };
}

function inTotalOrder(entries: readonly ResolverEntry[]): readonly ResolverEntry[] {
  for (let i = 1; i < entries.length; i++) {
    if (compareDeltas(entries[i - 1]!.delta, entries[i]!.delta) > 0) {
      return [...entries].sort((a, b) => compareDeltas(a.delta, b.delta));
    }
  }
  return entries;
}

const majority: Resolver<Value> = {
  name: 'majority',
  resolve(entries) {
    const tally = new Map<string, { value: Value; count: number; first: Delta }>();
    for (const entry of entries) {
      const key = valueKey(entry.value);
      const seen = tally.get(key);
      if (seen === undefined) tally.set(key, { value: entry.value, count: 1, first: entry.delta });
      else {
        seen.count++;
        if (compareDeltas(entry.delta, seen.first) < 0) seen.first = entry.delta;
      }
    }
    let best: { value: Value; count: number; first: Delta } | undefined;
    for (const candidate of tally.values()) {
      if (
        best === undefined ||
        candidate.count > best.count ||
        (candidate.count === best.count && compareDeltas(candidate.first, best.first) < 0)
      ) {
        best = candidate;
      }
    }
    return best?.value;
  },
};

const set: Resolver<Value[]> = {
  name: 'set',
  resolve(entries) {
    const seen = new Set<string>();
    const values: Value[] = [];
    for (const entry of inTotalOrder(entries)) {
      const key = valueKey(entry.value);
      if (seen.has(key)) continue;
      seen.add(key);
      values.push(entry.value);
    }
    return values;
  },
};

const list: Resolver<Value[]> = {
  name: 'list',
  resolve: (entries) => inTotalOrder(entries).map((entry) => entry.value),
};

const BUILT_IN: Readonly<Record<ResolverName, Resolver>> = {
  lww: createLww('id'),
  fww,
  min: createNumeric('min', (n) =>
    n.length === 0 ? undefined : n.reduce((a, b) => (b < a ? b : a)),
  ),
  max: createNumeric('max', (n) =>
    n.length === 0 ? undefined : n.reduce((a, b) => (b > a ? b : a)),
  ),
  sum: createNumeric('sum', sumOf),
  average: createNumeric('average', (n) => (n.length === 0 ? undefined : sumOf(n) / n.length)),
  count,
  concat: createConcat(''),
  majority,
  set,
  list,
};

export function isResolverName(name: unknown): name is ResolverName {
  return typeof name === 'string' && (RESOLVER_NAMES as readonly string[]).includes(name);
}

function isResolverObject(spec: unknown): spec is Resolver {
  return (
    typeof spec === 'object' &&
    spec !== null &&
    typeof (spec as Resolver).name === 'string' &&
    typeof (spec as Resolver).resolve === 'function'
  );
}

/** The resolver a spec stands for. Throws RESOLVER_INVALID for an unknown name or bad config. */
export function createResolver(spec: ResolverSpec): Resolver {
  if (typeof spec === 'string') {
    if (isResolverName(spec)) return BUILT_IN[spec];
  } else if (isResolverObject(spec)) {
    return spec;
  } else if (typeof spec === 'object' && spec !== null) {
    if (spec.kind === 'lww') {
      const tieBreak = spec.tieBreak ?? 'id';
      if (['id', 'creator', 'host', 'value'].includes(tieBreak))
        return tieBreak === 'id' ? BUILT_IN.lww : createLww(tieBreak);
    } else if (spec.kind === 'concat') {
      const separator = spec.separator ?? '';
      if (typeof separator === 'string')
        return separator === '' ? BUILT_IN.concat : createConcat(separator);
    }
  }
  throw createViewsError(
    ViewsErrorCode.ResolverInvalid,
    `unknown resolver ${JSON.stringify(spec)}`,
    { details: spec },
  );
}
