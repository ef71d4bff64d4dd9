import type { Delta } from '@rhizome/core';

/**
 * The resolved values a plugin depends on, keyed by the dependency's name (the output property of
 * the plugin it depends on, or the plain property). A missing optional dependency is `undefined`.
 */
export type Dependencies = Readonly<Record<string, unknown>>;

/** Where a value came from: the entity being resolved and the property the delta was listed under. */
export interface UpdateContext {
  readonly entityId: string;
  readonly property: string;
}

/**
 * What a plugin depends on:
 * - `'price'` or `{ plugin: 'price' }`: the plugin whose output property is `price` (required);
 * - `{ plugin: 'price', optional: true }`: the same, allowed to be absent (then `undefined`);
 * - `{ property: 'price' }`: the plain property `price`, resolved last-write-wins, with no plugin.
 */
export type DependencySpec =
  string | { readonly plugin: string; readonly optional?: boolean } | { readonly property: string };

/**
 * A resolver plugin: computes one output property of an entity from the deltas it reads and the
 * resolved values of what it depends on. Write plugins against this type only.
 *
 * Lifecycle: `initialize(deps)` → state; `update(state, value, delta, deps, context)` → state for
 * every delta that becomes visible; `remove(...)` → state when one stops being visible (negated);
 * `resolve(state, deps)` → output value; `dispose(state)` when the state is dropped.
 *
 * Rules a plugin keeps so every node converges:
 * - state is a plain value (objects, arrays, Maps); `update` may mutate it and return it;
 * - the output must not depend on the order of `update`/`remove` calls (the runtime delivers in
 *   arrival order incrementally and in `compareDeltas` order from scratch);
 * - `remove` undoes `update` for that delta; without `remove` the runtime rebuilds the state from
 *   the visible deltas instead;
 * - throwing is a bug, but never escapes ingest: the runtime skips that delta and reports it.
 */
export interface ResolverPlugin<State = unknown, Output = unknown> {
  /** Package-style name, e.g. `@rhizome/plugin-crdt/sequence`. */
  readonly name: string;
  /** Semver of the implementation; the registry reports it on hot reload. */
  readonly version: string;
  /** The output property this plugin claims. Unique within one custom resolver. */
  readonly property: string;
  /** Properties whose deltas feed `update`. Defaults to `[property]`; `[]` for a derived value. */
  readonly reads?: readonly string[];
  /** Plugins and plain properties whose resolved values are injected as `deps`. */
  readonly dependsOn?: readonly DependencySpec[];
  /**
   * Whether `update`/`remove` look at `deps`. When true (the safe default) and a dependency's
   * resolved value changes, the runtime rebuilds this plugin's state with the new values, so the
   * result never depends on which delta arrived first. Set false when only `resolve` uses deps.
   */
  readonly usesDependenciesInUpdate?: boolean;
  /**
   * The plugin keeps removed deltas as tombstones (an RGA sequence places later inserts after
   * deleted ones). It then also receives every negated delta of the entity, even one never seen
   * visible, as `update` followed by `remove`, and from scratch it needs the negated deltas.
   */
  readonly keepsTombstones?: boolean;
  initialize(deps: Dependencies): State;
  update(
    state: State,
    value: unknown,
    delta: Delta,
    deps: Dependencies,
    context: UpdateContext,
  ): State;
  remove?(
    state: State,
    value: unknown,
    delta: Delta,
    deps: Dependencies,
    context: UpdateContext,
  ): State;
  resolve(state: State, deps: Dependencies): Output;
  dispose?(state: State): void;
}

/** Options every plugin factory accepts. */
export interface PluginOptions {
  /** The output property. */
  readonly property: string;
  /** Input properties; defaults to `[property]`. */
  readonly reads?: readonly string[];
  readonly dependsOn?: readonly DependencySpec[];
}

/** Creates a plugin instance from configuration; what a plugin package exports. */
export type PluginFactory<Options extends PluginOptions = PluginOptions> = (
  options: Options,
) => ResolverPlugin;

/**
 * The shape of a plugin package's module, as the registry loads it: named factories, and the
 * package version. `export const plugins = { sequence, counter }` is enough.
 */
export interface PluginModule {
  readonly version?: string;
  readonly plugins: Readonly<Record<string, PluginFactory>>;
}

/** The resolved output of a custom resolver for one entity: one entry per declared plugin. */
export type ResolvedView = Readonly<Record<string, unknown>>;

/** A change in what the runtime can see of one entity. */
export interface EntityChange {
  /** Deltas that are now visible (new, or restored by negating their negation). */
  readonly visible?: Iterable<Delta>;
  /**
   * Deltas that are now negated (whether seen before or not). A visible one goes to `remove`; one
   * never seen visible reaches only plugins that keep tombstones (`keepsTombstones`), as `update`
   * then `remove`, so the sequence knows where a deleted element was.
   */
  readonly negated?: Iterable<Delta>;
}

/** One step of debug tracing. */
export interface TraceEvent {
  readonly kind: 'order' | 'update' | 'remove' | 'rebuild' | 'resolve' | 'error';
  readonly entityId?: string;
  readonly plugin?: string;
  readonly property?: string;
  readonly order?: readonly string[];
  readonly deltaId?: string;
  readonly input?: unknown;
  readonly deps?: Dependencies;
  readonly output?: unknown;
  readonly error?: unknown;
}

export type TraceSink = (event: TraceEvent) => void;
