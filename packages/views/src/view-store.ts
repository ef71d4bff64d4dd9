import type { Delta } from '@rhizome/core';
import { collectEntityClosure, createIndexClosureSource } from './closure.ts';
import { createDeltaIndex, type DeltaIndex, type DeltaIndexOptions } from './delta-index.ts';
import { forEachHyperviewSlot, transactionDeclarationsOf } from './delta-shape.ts';
import { createViewsError, ViewsErrorCode } from './errors.ts';
import { collectNegatedProperties, collectVisibleDeltas, collectVisibleProperties } from './hyperview.ts';
import { createIncrementalView, createViewPlan, type IncrementalView, type ViewPlan } from './incremental-view.ts';
import { assertValidQuery, sortedAfter, type Page, type PageOptions, type QueryOptions } from './query.ts';
import {
  createEntityResolverInput,
  resolveAllFlat,
  resolveSchemaFlat,
  type AllPropertiesOptions,
  type FlatView,
} from './resolve-view.ts';
import { nestReferences } from './nest-references.ts';
import { runQuery } from './run-query.ts';
import { assertValidSchema, type PropertyDefinition, type Schema, type ViewOf } from './schema.ts';
import type { EntityDeltaChange, EntityResolver, Hyperview, ReadOptions, Resolver } from './types.ts';
import { stableStringify } from './value.ts';
import { collectBatchReach, collectVisibilityChanges, type BatchReach } from './visibility-changes.ts';
import { createVisibility, type TransactionState, type Visibility } from './visibility.ts';

/** A schemaless view: every property the entity has, resolved. */
export type EntityView = Readonly<Record<string, unknown>>;

export interface TransactionCreatorReport {
  readonly creator: string;
  readonly state: TransactionState;
  /** Sizes declared by this creator (several declarations are allowed). */
  readonly declaredSizes: readonly number[];
  readonly memberIds: readonly string[];
}

/** Who declared and filled a transaction, and which members are ignored. */
export interface TransactionReport {
  readonly transactionId: string;
  /** One entry per creator that declared the transaction. */
  readonly creators: readonly TransactionCreatorReport[];
  /** Members by creators that have not declared it: ignored (invisible) until such a declaration exists. */
  readonly ignoredMemberIds: readonly string[];
}

export type ViewListener<V> = (view: V, entityId: string) => void;

export interface SubscribeOptions<S extends Schema | undefined> {
  /** Resolve under this schema; without it, the schemaless view. */
  readonly schema?: S;
}

/**
 * What `ViewStore.invalidate` drops: the cached views of a schema, of every schema using an entity
 * resolver or a custom property resolver, or of every schema, entity resolver or custom resolver
 * with this name.
 */
export type InvalidateTarget = Schema | EntityResolver | Resolver | string;

/**
 * The engine: a delta index plus resolution, an incremental cache of views for the default read
 * (no `asOf`, no filter), and subscriptions. Reads with `asOf` or a filter are computed afresh.
 */
export interface ViewStore {
  readonly index: DeltaIndex;
  readonly size: number;
  ingest(delta: Delta): boolean;
  /** Builds or restores the index from a batch; subscribers hear once per changed view. */
  ingestMany(deltas: Iterable<Delta>): number;
  has(deltaId: string): boolean;
  get(deltaId: string): Delta | undefined;
  /** Registers schemas that nested references name (schema objects used as targets register themselves). */
  registerSchema(...schemas: Schema[]): void;
  getSchema(name: string): Schema | undefined;
  isVisible(deltaId: string, read?: ReadOptions): boolean;
  hyperview(entityId: string, read?: ReadOptions): Hyperview;
  /** Schemaless view: every property with a visible delta, last-write-wins unless told otherwise. */
  view(entityId: string, options?: ReadOptions & AllPropertiesOptions): EntityView;
  /** The entity's view under a schema, with nested references expanded up to their depth. */
  resolve<S extends Schema>(schema: S, entityId: string, read?: ReadOptions): ViewOf<S>;
  transaction(transactionId: string, read?: ReadOptions): TransactionReport;
  /** Entities with at least one visible delta under the property. */
  entitiesWithProperty(property: string, options?: PageOptions & ReadOptions): Page;
  /**
   * Entities with a visible delta under one of the schema's properties (any property for an entity
   * resolver) whose resolved view matches `where`.
   */
  query(schema: Schema, options?: QueryOptions): Page;
  /**
   * Calls back when the entity's resolved view changes, and only then. Returns unsubscribe.
   * Subscribers to the same entity under the same schema share one resolution per change and are
   * all handed the same (frozen) view object.
   */
  subscribe<S extends Schema | undefined = undefined>(
    entityId: string,
    listener: ViewListener<S extends Schema ? ViewOf<S> : EntityView>,
    options?: SubscribeOptions<S>,
  ): () => void;
  /** The entity's closure: the deltas that decide its views (see `collectEntityClosure`). */
  closure(entityId: string): Delta[];
  /**
   * Drops cached views so the next read resolves them afresh: those of the schemas `target`
   * names (see `InvalidateTarget`), or every cached view when it is omitted. For when how views
   * resolve changed without any new delta, e.g. a plugin hot reload swapped an entity resolver's
   * code. Subscribers whose resolved view actually changed are called before it returns.
   */
  invalidate(target?: InvalidateTarget): void;
}

interface CacheEntry {
  flat: FlatView;
  visible: ReadonlyMap<string, readonly Delta[]> | undefined;
  /** The tombstones the last resolution asked for, if it asked: the base of the next `change.negated`. */
  negated: ReadonlyMap<string, readonly Delta[]> | undefined;
  stale: boolean;
}

interface ExpandedEntry {
  readonly schema: Schema;
  readonly entityId: string;
  readonly view: FlatView;
  readonly deps: Set<string>;
}

interface SubscriptionMember {
  readonly listener: (view: never, entityId: string) => void;
  /** The group version this member last saw (at subscribe, or when last called). */
  seenVersion: number;
  /** The serialised view it saw then; only compared when it is more than one version behind. */
  seenKey: string;
  active: boolean;
}

/**
 * The subscriptions to one entity under one schema (or schemaless): every member would resolve
 * the same view, so a write resolves and serialises it once per group and then only pushes the
 * same view object to each member whose last seen value differs.
 */
interface SubscriptionGroup {
  readonly entityId: string;
  readonly schema: Schema | undefined;
  readonly members: Set<SubscriptionMember>;
  last: string;
  /** Bumped exactly when `last` changes, so consecutive versions never share a value. */
  version: number;
  deps: Set<string>;
  active: boolean;
}

const DEFAULT_VIEW = Symbol('default view');
type CacheKey = Schema | typeof DEFAULT_VIEW;

// Every read of a cached view walks these; schemas are immutable, so they are worked out once.
const referenceProperties = new WeakMap<Schema, readonly (readonly [string, PropertyDefinition])[]>();
function referencePropertiesOf(schema: Schema): readonly (readonly [string, PropertyDefinition])[] {
  let found = referenceProperties.get(schema);
  if (found === undefined) {
    found = (Object.entries(schema.properties) as [string, PropertyDefinition][]).filter(([, d]) => d.kind === 'reference');
    referenceProperties.set(schema, found);
  }
  return found;
}

function isDefaultRead(read: ReadOptions | undefined): boolean {
  return read === undefined || (read.asOf === undefined && read.filter === undefined);
}

function diffDeltas(
  before: ReadonlyMap<string, readonly Delta[]>,
  after: ReadonlyMap<string, readonly Delta[]>,
): EntityDeltaChange {
  const added = new Map<string, Delta[]>();
  const removed = new Map<string, Delta[]>();
  const collect = (
    from: ReadonlyMap<string, readonly Delta[]>,
    against: ReadonlyMap<string, readonly Delta[]>,
    into: Map<string, Delta[]>,
  ): void => {
    for (const [property, deltas] of from) {
      const other = new Set(against.get(property) ?? []);
      const missing = deltas.filter((delta) => !other.has(delta));
      if (missing.length > 0) into.set(property, missing);
    }
  };
  collect(after, before, added);
  collect(before, after, removed);
  return { added, removed };
}

export interface ViewStoreOptions extends DeltaIndexOptions {
  /** Schemas that nested references may name. */
  readonly schemas?: readonly Schema[];
}

export function createViewStore(options: ViewStoreOptions = {}): ViewStore {
  const index = createDeltaIndex(undefined, {
    ...(options.compact === undefined ? {} : { compact: options.compact }),
    ...(options.shards === undefined ? {} : { shards: options.shards }),
  });
  const schemas = new Map<string, Schema>();
  // Views under an entity resolver: recomputed, or updated through its `update`, when stale.
  const caches = new Map<CacheKey, Map<string, CacheEntry>>();
  // Schemaless views and views under per-property resolvers: kept current delta by delta.
  const incrementalCaches = new Map<CacheKey, Map<string, IncrementalView>>();
  const plans = new Map<CacheKey, ViewPlan>();
  const subscriptionsByEntity = new Map<string, Set<SubscriptionGroup>>();
  const expandedCaches = new Map<Schema, Map<string, ExpandedEntry>>();
  const expandedByDep = new Map<string, Set<ExpandedEntry>>();
  let subscriptionCount = 0;
  const groups = new Map<CacheKey, Map<string, SubscriptionGroup>>();

  const lookupSchema = (target: string | Schema): Schema => {
    if (typeof target !== 'string') return target;
    const schema = schemas.get(target);
    if (schema === undefined) {
      throw createViewsError(ViewsErrorCode.SchemaUnknown, `no schema named "${target}" is registered`, {
        details: { name: target },
      });
    }
    return schema;
  };

  const registerSchema = (...list: Schema[]): void => {
    for (const schema of list) {
      const previous = schemas.get(schema.name);
      if (previous === schema) continue;
      assertValidSchema(schema);
      if (previous !== undefined) {
        // A new schema object under the same name (e.g. parsed again): drop the old one's caches,
        // and every nested view, since any of them may have expanded through the old one.
        caches.delete(previous);
        incrementalCaches.delete(previous);
        plans.delete(previous);
        expandedCaches.clear();
        expandedByDep.clear();
      }
      schemas.set(schema.name, schema);
      for (const definition of Object.values(schema.properties)) {
        if (typeof definition.target === 'object') registerSchema(definition.target);
      }
    }
  };
  registerSchema(...(options.schemas ?? []));

  const computeFlat = (key: CacheKey, entityId: string, visibility: Visibility, read: ReadOptions): FlatView => {
    const visible = collectVisibleProperties(index, visibility, entityId);
    const negated = () => collectNegatedProperties(index, visibility, entityId);
    return key === DEFAULT_VIEW
      ? resolveAllFlat(entityId, visible, read)
      : resolveSchemaFlat(key, entityId, visible, read, negated);
  };

  // The cached flat view for the default read. Schemaless and per-property views follow each
  // visibility change (`applyToIncremental`); under an entity resolver, a stale entry is recomputed
  // from the entity's own deltas (or updated through the resolver's `update`), never from the store.
  const cachedFlat = (key: CacheKey, entityId: string): FlatView => {
    if (key === DEFAULT_VIEW || key.entityResolver === undefined) return incrementalView(key, entityId).flat();
    const entityResolver = key.entityResolver;
    let cache = caches.get(key);
    if (cache === undefined) {
      cache = new Map();
      caches.set(key, cache);
    }
    const entry = cache.get(entityId);
    if (entry !== undefined && !entry.stale) return entry.flat;
    const read: ReadOptions = {};
    const visibility = createVisibility(index);
    const visible = collectVisibleProperties(index, visibility, entityId);
    let tombstones: ReadonlyMap<string, readonly Delta[]> | undefined;
    const negated = () => (tombstones ??= collectNegatedProperties(index, visibility, entityId));
    let flat: FlatView;
    if (entry?.visible !== undefined && entityResolver.update !== undefined) {
      const input = createEntityResolverInput(entityId, visible, read, (p) => key.properties[p]?.value, negated);
      const change = diffDeltas(entry.visible, visible);
      // A resolver that read the tombstones before gets their diff too, so it never has to read
      // the whole set again; one that never asked pays nothing for them.
      flat = entityResolver.update(
        entry.flat,
        entry.negated === undefined ? change : { ...change, negated: diffDeltas(entry.negated, negated()) },
        input,
      ) as FlatView;
    } else {
      flat = resolveSchemaFlat(key, entityId, visible, read, negated);
    }
    const incremental = entityResolver.update !== undefined;
    cache.set(entityId, {
      flat,
      visible: incremental ? visible : undefined,
      negated: incremental ? tombstones : undefined,
      stale: false,
    });
    return flat;
  };

  const incrementalView = (key: CacheKey, entityId: string): IncrementalView => {
    let cache = incrementalCaches.get(key);
    if (cache === undefined) {
      cache = new Map();
      incrementalCaches.set(key, cache);
    }
    let view = cache.get(entityId);
    if (view === undefined) {
      let plan = plans.get(key);
      if (plan === undefined) {
        plan = createViewPlan(key === DEFAULT_VIEW ? undefined : key);
        plans.set(key, plan);
      }
      view = createIncrementalView(plan, entityId, {
        all: () => collectVisibleProperties(index, createVisibility(index), entityId),
        of: (property) => collectVisibleDeltas(index, createVisibility(index), entityId, property),
      });
      cache.set(entityId, view);
    }
    return view;
  };

  const flatFor = (key: CacheKey, entityId: string, read: ReadOptions | undefined, visibility: () => Visibility) =>
    isDefaultRead(read) ? cachedFlat(key, entityId) : computeFlat(key, entityId, visibility(), read ?? {});

  // Expands reference properties into nested views. `budget` is how many more levels may be
  // expanded; a property's `depth` caps it, so cycles stop at the bound.
  const expand = (
    schema: Schema,
    entityId: string,
    budget: number,
    read: ReadOptions | undefined,
    visibility: () => Visibility,
    deps: Set<string>,
  ): FlatView => {
    deps.add(entityId);
    const flat = flatFor(schema, entityId, read, visibility);
    if (schema.entityResolver !== undefined) return flat;
    let expanded: Record<string, unknown> | undefined;
    for (const [property, definition] of referencePropertiesOf(schema)) {
      if (definition.target === undefined) continue;
      const value = flat[property];
      if (value === undefined) continue;
      const allowed = Math.min(budget, definition.depth ?? 1);
      if (allowed < 1) continue;
      const target = lookupSchema(definition.target);
      const nest = (id: string): unknown => {
        const nested = expand(target, id, allowed - 1, read, visibility, deps);
        return Object.freeze(Object.fromEntries([['id', id], ...Object.entries(nested)]));
      };
      expanded ??= { ...flat };
      expanded[property] = nestReferences(value, nest);
    }
    return expanded === undefined ? flat : Object.freeze(expanded);
  };

  const lazyVisibility = (read: ReadOptions | undefined): (() => Visibility) => {
    let visibility: Visibility | undefined;
    return () => (visibility ??= createVisibility(index, read ?? {}));
  };

  const hasReferences = (schema: Schema): boolean =>
    schema.entityResolver === undefined && referencePropertiesOf(schema).length > 0;

  // Expanded (nested) views of the default read are cached too, keyed by root and invalidated
  // when any entity they were built from changes.
  const cachedExpanded = (schema: Schema, entityId: string, deps: Set<string>): FlatView => {
    let cache = expandedCaches.get(schema);
    if (cache === undefined) {
      cache = new Map();
      expandedCaches.set(schema, cache);
    }
    const hit = cache.get(entityId);
    if (hit !== undefined) {
      for (const dep of hit.deps) deps.add(dep);
      return hit.view;
    }
    const own = new Set<string>();
    const view = expand(schema, entityId, Number.POSITIVE_INFINITY, undefined, lazyVisibility(undefined), own);
    const entry: ExpandedEntry = { schema, entityId, view, deps: own };
    cache.set(entityId, entry);
    for (const dep of own) {
      deps.add(dep);
      let dependents = expandedByDep.get(dep);
      if (dependents === undefined) {
        dependents = new Set();
        expandedByDep.set(dep, dependents);
      }
      dependents.add(entry);
    }
    return view;
  };

  const resolveWithDeps = (schema: Schema | undefined, entityId: string, read: ReadOptions | undefined, deps: Set<string>) => {
    if (schema === undefined) {
      deps.add(entityId);
      return flatFor(DEFAULT_VIEW, entityId, read, lazyVisibility(read));
    }
    registerSchema(schema);
    if (isDefaultRead(read) && hasReferences(schema)) return cachedExpanded(schema, entityId, deps);
    return expand(schema, entityId, Number.POSITIVE_INFINITY, read, lazyVisibility(read), deps);
  };

  const usesTarget = (schema: Schema, target: InvalidateTarget): boolean => {
    if (schema === target || schema.entityResolver === target) return true;
    const named = typeof target === 'string';
    if (named && (schema.name === target || schema.entityResolver?.name === target)) return true;
    return Object.values(schema.properties).some(({ resolver }) => {
      // Built-in resolvers (names and configs) never change; only custom resolver objects can.
      if (typeof resolver !== 'object' || !('resolve' in resolver)) return false;
      return resolver === target || (named && resolver.name === target);
    });
  };

  const hasCachedState = (): boolean => {
    if (subscriptionCount > 0) return true;
    for (const cache of caches.values()) if (cache.size > 0) return true;
    for (const cache of incrementalCaches.values()) if (cache.size > 0) return true;
    for (const cache of expandedCaches.values()) if (cache.size > 0) return true;
    return false;
  };

  const invalidateEntities = (entities: Set<string>): void => {
    for (const entityId of entities) {
      const dependents = expandedByDep.get(entityId);
      if (dependents === undefined) continue;
      for (const entry of [...dependents]) {
        expandedCaches.get(entry.schema)?.delete(entry.entityId);
        for (const dep of entry.deps) expandedByDep.get(dep)?.delete(entry);
      }
    }
    for (const cache of caches.values()) {
      for (const entityId of entities) {
        const entry = cache.get(entityId);
        if (entry === undefined) continue;
        if (entry.visible === undefined) cache.delete(entityId);
        else entry.stale = true;
      }
    }
  };

  const track = (group: SubscriptionGroup, deps: Set<string>): void => {
    for (const entityId of group.deps) if (!deps.has(entityId)) subscriptionsByEntity.get(entityId)?.delete(group);
    for (const entityId of deps) {
      let set = subscriptionsByEntity.get(entityId);
      if (set === undefined) {
        set = new Set();
        subscriptionsByEntity.set(entityId, set);
      }
      set.add(group);
    }
    group.deps = deps;
  };

  const notify = (entities: Set<string>): void => {
    const due = new Set<SubscriptionGroup>();
    for (const entityId of entities) for (const group of subscriptionsByEntity.get(entityId) ?? []) due.add(group);
    recheck(due);
  };

  const allGroups = function* (): Generator<SubscriptionGroup> {
    for (const byEntity of groups.values()) yield* byEntity.values();
  };

  // Records a freshly serialised value on the group. A new value gets a new version, so members
  // exactly one version behind are known to differ without comparing strings.
  const advance = (group: SubscriptionGroup, key: string): void => {
    if (key === group.last) return;
    group.last = key;
    group.version++;
  };

  const recheck = (due: Iterable<SubscriptionGroup>): void => {
    const errors: unknown[] = [];
    for (const group of due) {
      if (!group.active) continue;
      const deps = new Set<string>();
      const view = resolveWithDeps(group.schema, group.entityId, undefined, deps);
      track(group, deps);
      advance(group, stableStringify(view));
      const { version, last } = group;
      // Members that join from a listener start at the current version and are skipped; members
      // that leave are removed from the set, which iteration then no longer visits.
      for (const member of group.members) {
        if (!member.active || member.seenVersion === version) continue;
        const changed = member.seenVersion === version - 1 || member.seenKey !== last;
        member.seenVersion = version;
        member.seenKey = last;
        if (!changed) continue;
        try {
          member.listener(view as never, group.entityId);
        } catch (error) {
          errors.push(error);
        }
        // A listener may have triggered a nested recheck of this group: later members then get
        // the newer view from it, not this one.
        if (group.version !== version) break;
      }
    }
    if (errors.length > 0) throw errors[0];
  };

  // Tells the incremental views of the entities a batch reached which deltas became visible or
  // stopped being visible, before any subscriber reads them.
  const applyToIncremental = (added: Delta[], reach: BatchReach): void => {
    const cached: Map<string, IncrementalView>[] = [];
    for (const cache of incrementalCaches.values()) if (cache.size > 0) cached.push(cache);
    if (cached.length === 0) return;
    for (const { delta, visible } of collectVisibilityChanges(index, added, reach)) {
      forEachHyperviewSlot(delta, (entityId, property) => {
        for (const cache of cached) cache.get(entityId)?.apply(property, delta, visible);
      });
    }
  };

  const afterIngest = (added: Delta[]): void => {
    if (added.length === 0 || !hasCachedState()) return;
    const reach = collectBatchReach(index, added);
    applyToIncremental(added, reach);
    invalidateEntities(reach.entities);
    if (subscriptionCount > 0) notify(reach.entities);
  };

  const store: ViewStore = {
    index,
    get size() {
      return index.size;
    },
    ingest(delta) {
      const added = index.ingest(delta);
      if (added) afterIngest([delta]);
      return added;
    },
    ingestMany(deltas) {
      const tracking = hasCachedState();
      const added: Delta[] = [];
      let count = 0;
      for (const delta of deltas) {
        if (!index.ingest(delta)) continue;
        count++;
        if (tracking) added.push(delta);
      }
      afterIngest(added);
      return count;
    },
    has: (id) => index.has(id),
    get: (id) => index.get(id),
    registerSchema,
    getSchema: (name) => schemas.get(name),
    isVisible(deltaId, read) {
      const delta = index.get(deltaId);
      return delta !== undefined && createVisibility(index, read ?? {}).isVisible(delta);
    },
    hyperview(entityId, read) {
      return { id: entityId, properties: collectVisibleProperties(index, createVisibility(index, read ?? {}), entityId) };
    },
    view(entityId, options = {}) {
      const { asOf, filter, ...resolution } = options;
      const read: ReadOptions = { ...(asOf === undefined ? {} : { asOf }), ...(filter === undefined ? {} : { filter }) };
      const custom =
        resolution.resolvers !== undefined ||
        resolution.defaultResolver !== undefined ||
        resolution.entityResolver !== undefined;
      if (!custom && isDefaultRead(read)) return cachedFlat(DEFAULT_VIEW, entityId);
      const visibility = createVisibility(index, read);
      const visible = collectVisibleProperties(index, visibility, entityId);
      return resolveAllFlat(entityId, visible, read, resolution, () => collectNegatedProperties(index, visibility, entityId));
    },
    resolve(schema, entityId, read) {
      return resolveWithDeps(schema, entityId, read, new Set()) as ViewOf<typeof schema>;
    },
    transaction(transactionId, read) {
      const visibility = createVisibility(index, read ?? {});
      const byCreator = new Map<string, { sizes: number[]; members: string[] }>();
      for (const declaration of index.transactionDeclarations(transactionId)) {
        if (!visibility.exists(declaration)) continue;
        const entry = byCreator.get(declaration.creator) ?? { sizes: [], members: [] };
        for (const declared of transactionDeclarationsOf(declaration)) {
          if (declared.transactionId === transactionId && !entry.sizes.includes(declared.size)) entry.sizes.push(declared.size);
        }
        byCreator.set(declaration.creator, entry);
      }
      const ignored: string[] = [];
      for (const member of index.transactionMembers(transactionId)) {
        if (!visibility.exists(member)) continue;
        const entry = byCreator.get(member.creator);
        if (entry === undefined) ignored.push(member.id);
        else entry.members.push(member.id);
      }
      const creators = [...byCreator.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([creator, entry]) => ({
          creator,
          state: visibility.transactionState(transactionId, creator),
          declaredSizes: entry.sizes.sort((a, b) => a - b),
          memberIds: entry.members.sort(),
        }));
      return { transactionId, creators, ignoredMemberIds: ignored.sort() };
    },
    entitiesWithProperty(property, options = {}) {
      assertValidQuery(options);
      const limit = options.limit ?? 100;
      const visibility = createVisibility(index, options);
      const ids: string[] = [];
      const candidates = sortedAfter(index.entitiesWithProperty(property), options.cursor);
      for (const entityId of candidates) {
        const deltas = index.entityProperties(entityId)?.get(property) ?? [];
        if (!deltas.some((delta) => visibility.isVisible(delta))) continue;
        ids.push(entityId);
        if (ids.length === limit) break;
      }
      const last = ids[ids.length - 1];
      return ids.length === limit && last !== undefined && last !== candidates[candidates.length - 1]
        ? { ids, nextCursor: last }
        : { ids };
    },
    query(schema, options = {}) {
      assertValidQuery(options);
      registerSchema(schema);
      return runQuery(index, schema, options, (target, entityId, read) => resolveWithDeps(target, entityId, read, new Set()));
    },
    subscribe(entityId, listener, subscribeOptions = {}) {
      const schema = subscribeOptions.schema;
      const cacheKey: CacheKey = schema ?? DEFAULT_VIEW;
      const deps = new Set<string>();
      const key = stableStringify(resolveWithDeps(schema, entityId, undefined, deps));
      let byEntity = groups.get(cacheKey);
      if (byEntity === undefined) {
        byEntity = new Map();
        groups.set(cacheKey, byEntity);
      }
      let group = byEntity.get(entityId);
      if (group === undefined) {
        group = { entityId, schema, members: new Set(), last: key, version: 0, deps: new Set(), active: true };
        byEntity.set(entityId, group);
      } else {
        // The group may not have heard of the current value yet (a listener subscribing while a
        // recheck is under way, or a schema re-registered since). Moving the group on leaves its
        // older members behind, so its next recheck still calls them, while this one starts current.
        advance(group, key);
      }
      track(group, deps);
      const member: SubscriptionMember = {
        listener: listener as (view: never, entityId: string) => void,
        seenVersion: group.version,
        seenKey: group.last,
        active: true,
      };
      group.members.add(member);
      subscriptionCount++;
      const joined = group;
      const groupsOfSchema = byEntity;
      return () => {
        if (!member.active) return;
        member.active = false;
        subscriptionCount--;
        joined.members.delete(member);
        if (joined.members.size > 0) return;
        joined.active = false;
        if (groupsOfSchema.get(entityId) === joined) groupsOfSchema.delete(entityId);
        if (groupsOfSchema.size === 0 && groups.get(cacheKey) === groupsOfSchema) groups.delete(cacheKey);
        for (const dep of joined.deps) {
          const set = subscriptionsByEntity.get(dep);
          set?.delete(joined);
          if (set?.size === 0) subscriptionsByEntity.delete(dep);
        }
      };
    },
    closure(entityId) {
      return collectEntityClosure(createIndexClosureSource(index), entityId);
    },
    invalidate(target) {
      let dropped = target === undefined;
      for (const map of [caches, incrementalCaches]) {
        for (const key of [...map.keys()]) {
          if (target !== undefined && (key === DEFAULT_VIEW || !usesTarget(key, target))) continue;
          map.delete(key);
          dropped = true;
        }
      }
      if (!dropped) return;
      // Any nested view may have expanded through a dropped schema; they rebuild from the flat
      // caches that are left, and invalidation is rare (hot reloads), so drop them all.
      expandedCaches.clear();
      expandedByDep.clear();
      // Unaffected subscriptions re-read their cached views and stay silent; only a view that
      // resolves differently now calls back.
      recheck(target === undefined ? [...allGroups()] : [...allGroups()].filter((group) => group.schema !== undefined));
    },
  };
  return store;
}
