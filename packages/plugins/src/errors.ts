import { RhizomeError } from '@rhizome/core';

/** Stable codes of the errors this package throws or reports. Match on these, not on classes. */
export const PluginErrorCode = {
  /** A plugin depends on a plugin that is not in the resolver. */
  MissingDependency: 'PLUGIN_MISSING_DEPENDENCY',
  /** Plugins depend on each other in a cycle; `details.cycle` is the path. */
  DependencyCycle: 'PLUGIN_DEPENDENCY_CYCLE',
  /** Two plugins claim one output property. */
  DuplicateProperty: 'PLUGIN_DUPLICATE_PROPERTY',
  /** A plugin object does not have the contract's shape. */
  InvalidPlugin: 'PLUGIN_INVALID',
  /** A plugin threw while updating or resolving; reported, never thrown out of ingest. */
  PluginFailed: 'PLUGIN_FAILED',
  /** The registry could not import a plugin package, or it lacks the named plugin. */
  LoadFailed: 'PLUGIN_LOAD_FAILED',
  /** The registry has no package under that name. */
  UnknownPackage: 'PLUGIN_UNKNOWN_PACKAGE',
} as const;

export type PluginErrorCode = (typeof PluginErrorCode)[keyof typeof PluginErrorCode];

export function createPluginError(
  code: PluginErrorCode,
  message: string,
  options: { cause?: unknown; details?: unknown } = {},
): RhizomeError<PluginErrorCode> {
  return new RhizomeError(code, message, options);
}
