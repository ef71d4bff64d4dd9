import { compareDeltas, type Delta } from '@rhizome/core';
import { createDeltaIndex } from './delta-index.ts';
import { createValueExtractor, matchesKind } from './resolve-view.ts';
import { createResolver, type ResolverSpec, type TieBreak } from './resolvers.ts';
import type { PropertyKind, Schema, ValueOverride } from './schema.ts';
import type { ResolverEntry, Value } from './types.ts';
import { valueKey } from './value.ts';
import { createVisibility, type TransactionState } from './visibility.ts';

/**
 * Why a stored delta at a property does or does not count in a read:
 * - `visible`: it exists, its transactions are complete and no negation holds;
 * - `negated`: a negation holds it out (or it sits on an undecided negation cycle);
 * - `pending-transaction`: a transaction it belongs to is not complete for its creator;
 * - `after-as-of`: it was created after the read's `asOf`.
 */
export type DeltaStatus = 'visible' | 'negated' | 'pending-transaction' | 'after-as-of';

export interface InspectedTransaction {
  readonly transactionId: string;
  readonly state: TransactionState;
}

export interface InspectedDelta {
  readonly delta: Delta;
  readonly status: DeltaStatus;
  /** The value the delta contributes to the property (under the schema's value rule). */
  readonly value: Value;
  /** Negated only: the effective negations of it (the ones that hold, unless `undecided`). */
  readonly negatedBy: readonly Delta[];
  /** Negated only: it lies on a negation cycle that nothing outside settles. */
  readonly undecided: boolean;
  /** Pending only: its transactions that are not complete for its creator, with their state. */
  readonly transactions: readonly InspectedTransaction[];
  /** Visible but not handed to the resolver, and why (its value is not of the property's kind). */
  readonly excluded: string | null;
  /** The resolver's result rests on this delta (see `InspectedProperty.reason`). */
  readonly chosen: boolean;
}

export interface InspectedProperty {
  readonly name: string;
  /** The resolver's name; null when the schema does not define the property or an entity resolver decides. */
  readonly resolver: string | null;
  /** The resolved value before nested references are expanded; absent when there is none. */
  readonly value?: unknown;
  /** Every stored delta at the property, in total order (oldest first), visible or not. */
  readonly deltas: readonly InspectedDelta[];
  /** Which deltas the resolver's result rests on, and why, in words. */
  readonly reason: string;
}

export interface EntityInspection {
  readonly id: string;
  readonly schema: string | null;
  readonly asOf: number | null;
  /** Properties with at least one stored delta, and those the schema defines, in code-unit order. */
  readonly properties: readonly InspectedProperty[];
  /** Every distinct `timeCreated` in the closure, ascending: the moments at which a read can differ. */
  readonly times: readonly number[];
  /** Set when the schema has an entity resolver: it decides the whole entity, not per property. */
  readonly entityResolver: string | null;
}

export interface InspectOptions {
  /** Resolve under this schema; schemaless (every property, last-write-wins) without. */
  readonly schema?: Schema;
  readonly asOf?: number;
}

interface PropertyRule {
  readonly kind: PropertyKind;
  readonly spec: ResolverSpec;
  readonly value: ValueOverride | undefined;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function tieKey(entry: ResolverEntry, tieBreak: TieBreak): string {
  if (tieBreak === 'creator') return entry.delta.creator;
  if (tieBreak === 'host') return entry.delta.host;
  if (tieBreak === 'value') return valueKey(entry.value);
  return entry.delta.id;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

interface Choice {
  readonly chosen: ReadonlySet<string>;
  readonly reason: string;
}

/** Names the entries a built-in resolver's result rests on; mirrors `resolvers.ts`. */
function explainChoice(
  spec: ResolverSpec,
  entries: readonly ResolverEntry[],
  result: unknown,
): Choice {
  const ids = (list: readonly ResolverEntry[]) => new Set(list.map((entry) => entry.delta.id));
  if (entries.length === 0)
    return { chosen: new Set(), reason: 'no visible delta of the right kind: no value' };
  const name = typeof spec === 'string' ? spec : 'kind' in spec ? spec.kind : undefined;
  if (name === 'lww') {
    const tieBreak: TieBreak =
      typeof spec === 'object' && 'tieBreak' in spec ? (spec.tieBreak ?? 'id') : 'id';
    let best = entries[0]!;
    for (const entry of entries.slice(1)) {
      const time = entry.delta.timeCreated - best.delta.timeCreated;
      const order =
        time !== 0
          ? time
          : compareStrings(tieKey(entry, tieBreak), tieKey(best, tieBreak)) ||
            compareDeltas(entry.delta, best.delta);
      if (order > 0) best = entry;
    }
    const tied = entries.filter(
      (entry) => entry.delta.timeCreated === best.delta.timeCreated,
    ).length;
    const reason =
      tied > 1
        ? `last-write-wins: newest timeCreated, tied with ${plural(tied - 1, 'other')}, broken by the greatest ${tieBreak}`
        : 'last-write-wins: newest timeCreated';
    return { chosen: ids([best]), reason };
  }
  if (name === 'fww') {
    let best = entries[0]!;
    for (const entry of entries) if (compareDeltas(entry.delta, best.delta) < 0) best = entry;
    return { chosen: ids([best]), reason: 'first-write-wins: oldest timeCreated (ties by id)' };
  }
  const numeric = entries.filter(
    (entry) => typeof entry.value === 'number' && Number.isFinite(entry.value),
  );
  if (name === 'min' || name === 'max') {
    const hit = numeric.find((entry) => entry.value === result);
    const reason = `${name}: the ${name === 'min' ? 'smallest' : 'largest'} of ${plural(numeric.length, 'number')}`;
    return { chosen: ids(hit === undefined ? [] : [hit]), reason };
  }
  if (name === 'sum' || name === 'average') {
    return { chosen: ids(numeric), reason: `${name} of ${plural(numeric.length, 'number')}` };
  }
  if (name === 'count')
    return { chosen: ids(entries), reason: `count of ${plural(entries.length, 'visible delta')}` };
  if (name === 'concat') {
    const strings = entries.filter((entry) => typeof entry.value === 'string');
    return {
      chosen: ids(strings),
      reason: `concat: ${plural(strings.length, 'string')} joined in total order`,
    };
  }
  if (name === 'majority') {
    const key = valueKey(result);
    const backing = entries.filter((entry) => valueKey(entry.value) === key);
    return {
      chosen: ids(backing),
      reason: `majority: the value of ${backing.length} of ${plural(entries.length, 'delta')} (a tie goes to the value seen first)`,
    };
  }
  if (name === 'set' || name === 'list') {
    return {
      chosen: ids(entries),
      reason: `${name}: every visible value in total order${name === 'set' ? ', each once' : ''}`,
    };
  }
  const resolverName = createResolver(spec).name;
  return {
    chosen: ids(entries),
    reason: `custom resolver "${resolverName}": computed from every visible delta`,
  };
}

/**
 * Every stored delta of an entity, property by property, with what the read makes of it: visible,
 * negated (and by which negations), part of an incomplete transaction, or after `asOf`; and which
 * of them the property's resolver chose, and why. `closure` must hold the entity's closure
 * (`collectEntityClosure`, `ViewStore.closure`); deltas of other entities are ignored. Pure: the
 * same closure and options give the same answer on every node, and the values agree with the
 * entity's flat view under the same schema and `asOf`.
 */
export function inspectEntity(
  closure: Iterable<Delta>,
  entityId: string,
  options: InspectOptions = {},
): EntityInspection {
  const index = createDeltaIndex(closure);
  const read = options.asOf === undefined ? {} : { asOf: options.asOf };
  const visibility = createVisibility(index, read);
  const schema = options.schema;
  const stored = index.entityProperties(entityId) ?? new Map<string, readonly Delta[]>();
  const times = [...new Set([...index.deltas()].map((delta) => delta.timeCreated))].sort(
    (a, b) => a - b,
  );

  const ruleOf = (property: string): PropertyRule | undefined => {
    if (schema === undefined) return { kind: 'any', spec: 'lww', value: undefined };
    if (schema.entityResolver !== undefined) return undefined;
    const definition = Object.hasOwn(schema.properties, property)
      ? schema.properties[property]
      : undefined;
    return definition === undefined
      ? undefined
      : { kind: definition.kind, spec: definition.resolver, value: definition.value };
  };

  const classify = (
    delta: Delta,
  ): Pick<InspectedDelta, 'status' | 'negatedBy' | 'undecided' | 'transactions'> => {
    if (!visibility.exists(delta))
      return { status: 'after-as-of', negatedBy: [], undecided: false, transactions: [] };
    if (!visibility.isEffective(delta)) {
      const transactions = index
        .transactionsOf(delta.id)
        .map((transactionId) => ({
          transactionId,
          state: visibility.transactionState(transactionId, delta.creator),
        }))
        .filter((tx) => tx.state !== 'complete');
      return { status: 'pending-transaction', negatedBy: [], undecided: false, transactions };
    }
    if (visibility.isVisible(delta))
      return { status: 'visible', negatedBy: [], undecided: false, transactions: [] };
    const effective = index
      .negationsOf(delta.id)
      .filter((negation) => visibility.isEffective(negation));
    const holding = effective.filter((negation) => visibility.isVisible(negation));
    return holding.length > 0
      ? { status: 'negated', negatedBy: holding, undecided: false, transactions: [] }
      : { status: 'negated', negatedBy: effective, undecided: true, transactions: [] };
  };

  const names = new Set(stored.keys());
  if (schema !== undefined && schema.entityResolver === undefined)
    for (const name of Object.keys(schema.properties)) names.add(name);
  const properties = [...names].sort(compareStrings).map((name): InspectedProperty => {
    const deltas = stored.get(name) ?? [];
    const rule = ruleOf(name);
    const extract = createValueExtractor(rule?.value, entityId, name);
    const rows = deltas.map((delta) => {
      const value = extract(delta);
      const row = { delta, value, ...classify(delta) };
      const excluded =
        row.status === 'visible' && rule !== undefined && !matchesKind(rule.kind, value)
          ? `its value is not of kind "${rule.kind}"`
          : null;
      return { ...row, excluded };
    });
    if (rule === undefined) {
      const reason =
        schema?.entityResolver !== undefined
          ? `entity resolver "${schema.entityResolver.name}" decides the whole entity`
          : `not a property of schema "${schema?.name ?? ''}"`;
      return {
        name,
        resolver: null,
        deltas: rows.map((row) => ({ ...row, chosen: false })),
        reason,
      };
    }
    const entries: ResolverEntry[] = rows
      .filter((row) => row.status === 'visible' && row.excluded === null)
      .map((row) => ({ delta: row.delta, value: row.value }));
    const resolver = createResolver(rule.spec);
    // As in the flat view: a schemaless view has only properties with a visible delta, while a
    // schema's property is always resolved (an empty count is 0).
    const value =
      schema === undefined && entries.length === 0
        ? undefined
        : resolver.resolve(entries, { entityId, property: name });
    const { chosen, reason } = explainChoice(rule.spec, entries, value);
    return {
      name,
      resolver: resolver.name,
      ...(value === undefined ? {} : { value }),
      deltas: rows.map((row) => ({ ...row, chosen: chosen.has(row.delta.id) })),
      reason,
    };
  });

  return {
    id: entityId,
    schema: schema?.name ?? null,
    asOf: options.asOf ?? null,
    properties,
    times,
    entityResolver: schema?.entityResolver?.name ?? null,
  };
}
