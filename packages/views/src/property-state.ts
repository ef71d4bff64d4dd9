import { compareDeltas, type Delta } from '@rhizome/core';
import { compareLww, createResolver, type ResolverSpec, type TieBreak } from './resolvers.ts';
import type { Resolver, ResolverContext, ResolverEntry, Value } from './types.ts';
import { valueKey } from './value.ts';

/**
 * Incremental state of one resolver over one (entity, property): the entries it holds are the
 * property's visible entries, and `value()` is exactly what the resolver's `resolve` returns over
 * them in total order. `add` and `remove` return false when the state cannot follow the change
 * cheaply (the winner left, a float sum): the caller then rebuilds it from the property's entries.
 */
export interface PropertyState {
  add(entry: ResolverEntry): boolean;
  remove(entry: ResolverEntry): boolean;
  value(): unknown;
}

/** Builds a state from the property's visible entries, in total order. */
export type PropertyStateFactory = (
  entries: readonly ResolverEntry[],
  context: ResolverContext,
) => PropertyState;

function fromEntries(create: () => PropertyState): PropertyStateFactory {
  return (entries) => {
    const state = create();
    for (const entry of entries) state.add(entry);
    return state;
  };
}

/** Keeps the single best entry; only losing it (its removal) needs a rebuild. */
function createWinnerFactory(
  beats: (a: ResolverEntry, b: ResolverEntry) => boolean,
  accepts: (value: Value) => boolean,
) {
  return fromEntries(() => {
    let best: ResolverEntry | undefined;
    return {
      add(entry) {
        if (accepts(entry.value) && (best === undefined || beats(entry, best))) best = entry;
        return true;
      },
      remove: (entry) => best === undefined || entry.delta.id !== best.delta.id,
      value: () => best?.value,
    };
  });
}

const isNumber = (value: Value): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const always = (): boolean => true;
const earlier = (a: ResolverEntry, b: ResolverEntry): boolean =>
  compareDeltas(a.delta, b.delta) < 0;

const lwwFactory = (tieBreak: TieBreak) =>
  createWinnerFactory((a, b) => compareLww(a, b, tieBreak) > 0, always);
const fwwFactory = createWinnerFactory(earlier, always);
// `resolve` keeps the first of equal extremes in total order (only 0 and -0 can tell).
const minFactory = createWinnerFactory(
  (a, b) => (a.value as number) < (b.value as number) || (a.value === b.value && earlier(a, b)),
  isNumber,
);
const maxFactory = createWinnerFactory(
  (a, b) => (a.value as number) > (b.value as number) || (a.value === b.value && earlier(a, b)),
  isNumber,
);

/**
 * Running sum over integers. While every number is an integer and the sum of their magnitudes is
 * a safe integer, every partial sum in any order is exact, so the total equals the total-order
 * summation of `resolve` bit for bit. Otherwise the value comes from `resolve` and every change
 * rebuilds.
 */
function createSumFactory(resolver: Resolver, average: boolean): PropertyStateFactory {
  return (entries, context) => {
    let total = 0;
    let magnitude = 0;
    let count = 0;
    let exact = true;
    const add = (value: number, sign: 1 | -1): void => {
      if (!Number.isInteger(value)) exact = false;
      total += sign * value;
      magnitude += Math.abs(value);
      count += sign;
      if (magnitude > Number.MAX_SAFE_INTEGER) exact = false;
    };
    for (const entry of entries) if (isNumber(entry.value)) add(entry.value, 1);
    const fixed = exact ? undefined : resolver.resolve(entries, context);
    return {
      add(entry) {
        if (!isNumber(entry.value)) return true;
        if (!exact) return false;
        add(entry.value, 1);
        return exact;
      },
      remove(entry) {
        if (!isNumber(entry.value)) return true;
        if (!exact) return false;
        add(entry.value, -1);
        return exact;
      },
      value: () => (!exact ? fixed : average ? (count === 0 ? undefined : total / count) : total),
    };
  };
}

const countFactory = fromEntries(() => {
  let count = 0;
  return {
    add: () => (count++, true),
    remove: () => (count--, true),
    value: () => count,
  };
});

interface Tally {
  value: Value;
  count: number;
  first: Delta;
}

// More votes win; among equal counts the value seen first in total order.
const outvotes = (a: Tally, b: Tally): boolean =>
  a.count > b.count || (a.count === b.count && compareDeltas(a.first, b.first) < 0);

const majorityFactory = fromEntries(() => {
  const tally = new Map<string, Tally>();
  let best: Tally | undefined;
  return {
    add(entry) {
      const key = valueKey(entry.value);
      let seen = tally.get(key);
      if (seen === undefined) {
        seen = { value: entry.value, count: 1, first: entry.delta };
        tally.set(key, seen);
      } else {
        seen.count++;
        if (compareDeltas(entry.delta, seen.first) < 0) {
          seen.first = entry.delta;
          seen.value = entry.value;
        }
      }
      if (best === undefined || outvotes(seen, best)) best = seen;
      return true;
    },
    remove(entry) {
      const seen = tally.get(valueKey(entry.value));
      // Losing the first vote of a value changes which value it reports: rebuild.
      if (seen === undefined || seen.first.id === entry.delta.id) return false;
      seen.count--;
      if (seen === best)
        for (const candidate of tally.values()) if (outvotes(candidate, best)) best = candidate;
      return true;
    },
    value: () => best?.value,
  };
});

/** Position of the first entry not before `delta` in total order. */
function lowerBound(entries: readonly ResolverEntry[], delta: Delta): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareDeltas(entries[mid]!.delta, delta) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The entries in total order (appending in O(1), inserting out of order in O(k)). */
function createOrderedFactory(
  output: (ordered: readonly ResolverEntry[]) => unknown,
): PropertyStateFactory {
  return (entries) => {
    const ordered = [...entries];
    return {
      add(entry) {
        const last = ordered[ordered.length - 1];
        if (last === undefined || compareDeltas(last.delta, entry.delta) < 0) ordered.push(entry);
        else ordered.splice(lowerBound(ordered, entry.delta), 0, entry);
        return true;
      },
      remove(entry) {
        const at = lowerBound(ordered, entry.delta);
        if (ordered[at]?.delta.id !== entry.delta.id) return false;
        ordered.splice(at, 1);
        return true;
      },
      value: () => output(ordered),
    };
  };
}

const listFactory = createOrderedFactory((ordered) => ordered.map((entry) => entry.value));
const setFactory = createOrderedFactory((ordered) => {
  const seen = new Set<string>();
  const values: Value[] = [];
  for (const entry of ordered) {
    const key = valueKey(entry.value);
    if (seen.has(key)) continue;
    seen.add(key);
    values.push(entry.value);
  }
  return values;
});
const concatFactory = (separator: string) =>
  createOrderedFactory((ordered) => {
    const parts: string[] = [];
    for (const entry of ordered) if (typeof entry.value === 'string') parts.push(entry.value);
    return parts.length === 0 ? undefined : parts.join(separator);
  });

/** For a resolver without an incremental form: resolved once per build, rebuilt on any change. */
function createOpaqueFactory(resolver: Resolver): PropertyStateFactory {
  return (entries, context) => {
    const value = resolver.resolve(entries, context);
    return { add: () => false, remove: () => false, value: () => value };
  };
}

const builtIn = new Map<Resolver, PropertyStateFactory>();
const register = (spec: ResolverSpec, factory: PropertyStateFactory): void => {
  builtIn.set(createResolver(spec), factory);
};
register('lww', lwwFactory('id'));
register('fww', fwwFactory);
register('min', minFactory);
register('max', maxFactory);
register('sum', createSumFactory(createResolver('sum'), false));
register('average', createSumFactory(createResolver('average'), true));
register('count', countFactory);
register('concat', concatFactory(''));
register('majority', majorityFactory);
register('set', setFactory);
register('list', listFactory);

/**
 * The incremental state factory for a resolver spec: the built-in resolvers (and their
 * configurations) get their own; any other resolver is resolved afresh whenever it changes.
 */
export function createPropertyStateFactory(spec: ResolverSpec): PropertyStateFactory {
  const resolver = createResolver(spec);
  if (typeof spec === 'object' && 'kind' in spec) {
    if (spec.kind === 'lww') return lwwFactory(spec.tieBreak ?? 'id');
    if (spec.kind === 'concat') return concatFactory(spec.separator ?? '');
  }
  return builtIn.get(resolver) ?? createOpaqueFactory(resolver);
}
