import type { PluginOptions } from '../types.ts';

/** Version of the built-in plugins' semantics; bumped when a built-in's output changes. */
export const BUILTIN_VERSION = '1.0.0';

/** The contract fields every built-in copies from its options. */
export function pluginIdentity(kind: string, options: PluginOptions) {
  return {
    name: `@rhizome/plugins/${kind}`,
    version: BUILTIN_VERSION,
    property: options.property,
    reads: options.reads ?? [options.property],
    dependsOn: options.dependsOn ?? [],
    // Built-ins never look at dependencies while updating.
    usesDependenciesInUpdate: false,
  };
}

/** Finite numbers only: aggregations skip everything else (strings, null, references, NaN, ±∞). */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
