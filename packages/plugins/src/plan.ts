import { createPluginError, PluginErrorCode } from './errors.ts';
import type { DependencySpec, ResolverPlugin } from './types.ts';

/** One node of the execution plan: a declared plugin, or a plain property read without one. */
export interface PlannedSlot {
  readonly plugin: ResolverPlugin;
  /** False for the implicit last-write-wins of a plain-property dependency. */
  readonly declared: boolean;
  /** Names under which `deps` carry each dependency, parallel to `dependencyIndexes`. */
  readonly dependencyNames: readonly string[];
  /** Slot index of each dependency, or -1 for a missing optional one. */
  readonly dependencyIndexes: readonly number[];
  readonly reads: readonly string[];
  readonly usesDependenciesInUpdate: boolean;
  /** The plugin wants negated deltas too (as update then remove); only with a `remove`. */
  readonly keepsTombstones: boolean;
}

export interface Plan {
  /** Slots in execution order: every dependency before its dependents. */
  readonly slots: readonly PlannedSlot[];
  /** property read → indexes of the slots that read it. */
  readonly readers: ReadonlyMap<string, readonly number[]>;
}

interface NormalizedDependency {
  readonly name: string;
  readonly kind: 'plugin' | 'property';
  readonly optional: boolean;
}

function normalizeDependency(spec: DependencySpec): NormalizedDependency {
  if (typeof spec === 'string') return { name: spec, kind: 'plugin', optional: false };
  if ('plugin' in spec)
    return { name: spec.plugin, kind: 'plugin', optional: spec.optional === true };
  return { name: spec.property, kind: 'property', optional: false };
}

function describe(plugin: ResolverPlugin): string {
  return `plugin "${plugin.property}" (${plugin.name}@${plugin.version})`;
}

function assertShape(plugin: ResolverPlugin, index: number): void {
  const problems: string[] = [];
  if (typeof plugin !== 'object' || plugin === null) {
    throw createPluginError(PluginErrorCode.InvalidPlugin, `plugin #${index} is not an object`);
  }
  for (const key of ['name', 'version', 'property'] as const) {
    if (typeof plugin[key] !== 'string' || plugin[key] === '')
      problems.push(`${key} must be a non-empty string`);
  }
  for (const key of ['initialize', 'update', 'resolve'] as const) {
    if (typeof plugin[key] !== 'function') problems.push(`${key} must be a function`);
  }
  for (const key of ['remove', 'dispose'] as const) {
    if (plugin[key] !== undefined && typeof plugin[key] !== 'function')
      problems.push(`${key} must be a function`);
  }
  if (problems.length > 0) {
    throw createPluginError(
      PluginErrorCode.InvalidPlugin,
      `plugin #${index} (${String(plugin.name)}) is invalid: ${problems.join('; ')}`,
      { details: { index, problems } },
    );
  }
}

/**
 * Validates the plugins and orders them so that each runs after everything it depends on. All
 * configuration errors surface here, at construction, never during ingest.
 */
export function planPlugins(
  plugins: readonly ResolverPlugin[],
  createPlainProperty: (property: string) => ResolverPlugin,
): Plan {
  const byProperty = new Map<string, ResolverPlugin>();
  plugins.forEach((plugin, index) => {
    assertShape(plugin, index);
    const existing = byProperty.get(plugin.property);
    if (existing !== undefined) {
      throw createPluginError(
        PluginErrorCode.DuplicateProperty,
        `${describe(plugin)} and ${describe(existing)} both claim output property "${plugin.property}"`,
        { details: { property: plugin.property, plugins: [existing.name, plugin.name] } },
      );
    }
    byProperty.set(plugin.property, plugin);
  });

  // Plain-property dependencies become implicit slots; a name claimed by a plugin stays the plugin.
  const nodes = new Map<
    string,
    { plugin: ResolverPlugin; declared: boolean; deps: NormalizedDependency[] }
  >();
  for (const plugin of plugins) {
    nodes.set(plugin.property, {
      plugin,
      declared: true,
      deps: (plugin.dependsOn ?? []).map(normalizeDependency),
    });
  }
  for (const plugin of plugins) {
    for (const dependency of nodes.get(plugin.property)!.deps) {
      if (dependency.kind === 'property' && !nodes.has(dependency.name)) {
        nodes.set(dependency.name, {
          plugin: createPlainProperty(dependency.name),
          declared: false,
          deps: [],
        });
      }
      if (
        dependency.kind === 'plugin' &&
        !dependency.optional &&
        !byProperty.has(dependency.name)
      ) {
        throw createPluginError(
          PluginErrorCode.MissingDependency,
          `${describe(plugin)} depends on "${dependency.name}", which no plugin in this resolver outputs`,
          {
            details: {
              plugin: plugin.property,
              pluginName: plugin.name,
              dependency: dependency.name,
            },
          },
        );
      }
    }
  }

  // Depth-first topological sort; the grey path is the cycle when an edge leads back into it.
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    const mark = state.get(name);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw createPluginError(
        PluginErrorCode.DependencyCycle,
        `plugins depend on each other in a cycle: ${cycle.join(' → ')}`,
        { details: { cycle } },
      );
    }
    state.set(name, 'visiting');
    path.push(name);
    for (const dependency of nodes.get(name)!.deps) {
      if (nodes.has(dependency.name)) visit(dependency.name);
    }
    path.pop();
    state.set(name, 'done');
    order.push(name);
  };
  // Declared order first so independent plugins keep the order they were given.
  for (const name of nodes.keys()) visit(name);

  const indexOf = new Map(order.map((name, index) => [name, index]));
  const slots: PlannedSlot[] = order.map((name) => {
    const node = nodes.get(name)!;
    return {
      plugin: node.plugin,
      declared: node.declared,
      dependencyNames: node.deps.map((dependency) => dependency.name),
      dependencyIndexes: node.deps.map((dependency) => indexOf.get(dependency.name) ?? -1),
      reads: node.plugin.reads ?? [node.plugin.property],
      usesDependenciesInUpdate:
        node.deps.length > 0 && node.plugin.usesDependenciesInUpdate !== false,
      keepsTombstones: node.plugin.keepsTombstones === true && node.plugin.remove !== undefined,
    };
  });
  const readers = new Map<string, number[]>();
  slots.forEach((slot, index) => {
    for (const property of slot.reads) {
      const list = readers.get(property);
      if (list === undefined) readers.set(property, [index]);
      else if (!list.includes(index)) list.push(index);
    }
  });
  return { slots, readers };
}
