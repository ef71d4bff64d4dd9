import { watch, type FSWatcher } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createCustomResolver,
  createPluginError,
  createPluginRegistry,
  PluginErrorCode,
  type CustomResolver,
  type PluginFactory,
  type PluginModule,
  type PluginRegistry,
} from '@rhizome/plugins';
import type { Resolver } from '@rhizome/views';
import { ConfigError } from './config.ts';
import { createPluginSnapshots, isIgnored, watchedPaths } from './plugin-snapshots.ts';

/** Separates package and plugin in the name a schema gives a plugin resolver: `pkg#plugin`. */
export const PLUGIN_RESOLVER_SEPARATOR = '#';

export interface LoadedPluginPackage {
  /** As configured: a package name or a module path. */
  readonly name: string;
  readonly version: string | undefined;
  /** What was imported (a file URL, or the bare name when it resolved from the server). */
  readonly specifier: string;
  /** Plugins a schema property can name, as `<name>#<plugin>`. */
  readonly resolvers: readonly string[];
  /** Plugins that cannot resolve one property on their own, with the reason. */
  readonly skipped: readonly { readonly plugin: string; readonly reason: string }[];
}

export interface LoadedPlugins {
  readonly registry: PluginRegistry;
  /** Custom property resolvers for schemas, by `<package>#<plugin>`. */
  readonly resolvers: Readonly<Record<string, Resolver>>;
  readonly packages: readonly LoadedPluginPackage[];
  /**
   * Loads the package's current code again (hot reload): every file of it, through a fresh copy
   * (see plugin-snapshots.ts). On success its resolvers use the new version and the listeners
   * hear which resolvers changed; on failure nothing changes and the error is thrown. Refused
   * (PLUGIN_LOAD_FAILED, saying why) when the package resolves to no file or is too large to copy.
   */
  reload(name: string): Promise<void>;
  /** Called after each successful reload with the resolvers whose views must be recomputed. */
  onReload(listener: (resolvers: readonly Resolver[], packageName: string) => void): () => void;
  /**
   * Watches the plugins given as module paths and reloads one when a file of its package changes
   * (every directory of the package but `node_modules`). `onError` hears a reload that failed
   * (the old version stays).
   */
  watchFiles(onError: (error: unknown, packageName: string) => void): void;
  /** Stops watching files. */
  close(): void;
}

export interface LoadPluginsOptions {
  /** Relative paths and package names resolve from here. */
  readonly cwd: string;
  /** The configuration source named in problems (`RHIZOME_PLUGINS`, or a flag). */
  readonly variable?: string;
}

function isPath(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || isAbsolute(spec);
}

function isPluginModule(value: unknown): value is PluginModule {
  if (typeof value !== 'object' || value === null) return false;
  const plugins = (value as { plugins?: unknown }).plugins;
  return typeof plugins === 'object' && plugins !== null;
}

function toPluginModule(imported: unknown): PluginModule | undefined {
  if (isPluginModule(imported)) return imported;
  const fallback = (imported as { default?: unknown } | null)?.default;
  return isPluginModule(fallback) ? fallback : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/**
 * Where a configured plugin is imported from. A package name resolves from `cwd` first (the user's
 * project), then from the server itself; a path resolves against `cwd`.
 */
function locate(spec: string, cwd: string): string {
  if (isPath(spec)) return pathToFileURL(resolve(cwd, spec)).href;
  try {
    return pathToFileURL(createRequire(join(cwd, 'package.json')).resolve(spec)).href;
  } catch {
    return spec;
  }
}

/** The file a located plugin is imported from, or undefined when it resolves to no file. */
function entryFileOf(location: string): string | undefined {
  if (location.startsWith('file:')) return fileURLToPath(location.replace(/\?.*$/, ''));
  try {
    return createRequire(import.meta.url).resolve(location);
  } catch {
    return undefined;
  }
}

/**
 * One plugin as a views property resolver: resolves the property's visible deltas with a custom
 * resolver holding just that plugin, instantiated for each property it is used on.
 */
function createPluginPropertyResolver(
  name: string,
  factoryOf: () => PluginFactory,
): Resolver & { reset(): void } {
  const byProperty = new Map<string, CustomResolver>();
  return {
    name,
    resolve(entries, context) {
      let resolver = byProperty.get(context.property);
      if (resolver === undefined) {
        resolver = createCustomResolver([factoryOf()({ property: context.property })]);
        byProperty.set(context.property, resolver);
      }
      // Views already extracted each value (with the schema's override and kind check).
      const values = new Map(entries.map((entry) => [entry.delta.id, entry.value]));
      const view = resolver.resolve(
        context.entityId,
        entries.map((entry) => entry.delta),
        [],
        { readValue: (delta) => values.get(delta.id) },
      );
      return view[context.property];
    },
    reset() {
      byProperty.clear();
    },
  };
}

/**
 * Loads the configured plugin packages through the plugins registry and turns each plugin into
 * a property resolver schemas can name. Every bad entry is reported at once as a ConfigError.
 */
export async function loadPlugins(
  specs: readonly string[],
  options: LoadPluginsOptions,
): Promise<LoadedPlugins> {
  const variable = options.variable ?? 'RHIZOME_PLUGINS';
  // Modules by the specifier they were imported from: the registry imports through this, so the
  // adapters below can build plugins synchronously from the very module the registry holds.
  const imported = new Map<string, unknown>();
  const importModule = async (specifier: string): Promise<unknown> => {
    if (imported.has(specifier)) return imported.get(specifier);
    const module: unknown = await import(/* @vite-ignore */ specifier);
    imported.set(specifier, module);
    return module;
  };
  const locations = Object.fromEntries(specs.map((spec) => [spec, locate(spec, options.cwd)]));
  const registry = createPluginRegistry({ locations, importModule });
  const problems: { variable: string; message: string }[] = [];
  const modules = new Map<string, PluginModule>();
  const packages: LoadedPluginPackage[] = [];
  const adapters = new Map<string, (Resolver & { reset(): void })[]>();
  const resolvers: Record<string, Resolver> = {};

  for (const spec of specs) {
    const specifier = locations[spec]!;
    let module: unknown;
    try {
      module = await importModule(specifier);
    } catch (error) {
      // Not found is about this entry itself, not about a module it imports.
      const code = (error as { code?: string }).code;
      const missing =
        (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
        [spec, specifier, isPath(spec) ? resolve(options.cwd, spec) : spec].some((name) =>
          messageOf(error).includes(`'${name}'`),
        );
      problems.push({
        variable,
        message: missing
          ? `${JSON.stringify(spec)}: ${isPath(spec) ? 'no such file' : 'no such package (install it where the node runs)'}`
          : `${JSON.stringify(spec)}: failed to load: ${messageOf(error)}`,
      });
      continue;
    }
    const pluginModule = toPluginModule(module);
    if (pluginModule === undefined || Object.keys(pluginModule.plugins).length === 0) {
      problems.push({
        variable,
        message: `${JSON.stringify(spec)}: not a Rhizome plugin package (it exports no \`plugins\` map of factories)`,
      });
      continue;
    }
    const bad = Object.entries(pluginModule.plugins).find(([, f]) => typeof f !== 'function');
    if (bad !== undefined) {
      problems.push({
        variable,
        message: `${JSON.stringify(spec)}: plugin "${bad[0]}" is not a factory function`,
      });
      continue;
    }
    modules.set(spec, pluginModule);
    const usable: string[] = [];
    const skipped: { plugin: string; reason: string }[] = [];
    for (const [plugin, factory] of Object.entries(pluginModule.plugins)) {
      try {
        const instance = factory({ property: 'value' });
        if (instance.keepsTombstones === true) {
          skipped.push({
            plugin,
            reason: 'keeps tombstones, so it needs the entity’s negated deltas',
          });
          continue;
        }
      } catch (error) {
        skipped.push({ plugin, reason: `needs options beyond a property: ${messageOf(error)}` });
        continue;
      }
      const name = `${spec}${PLUGIN_RESOLVER_SEPARATOR}${plugin}`;
      const adapter = createPluginPropertyResolver(name, () => {
        const current = modules.get(spec)!.plugins[plugin];
        // Only after a hot reload that dropped the plugin: a schema still names it.
        if (typeof current !== 'function')
          throw createPluginError(
            PluginErrorCode.LoadFailed,
            `package "${spec}" no longer has plugin "${plugin}"`,
            { details: { package: spec, plugin } },
          );
        return current;
      });
      resolvers[name] = adapter;
      adapters.set(spec, [...(adapters.get(spec) ?? []), adapter]);
      usable.push(name);
    }
    packages.push({
      name: spec,
      version: pluginModule.version,
      specifier,
      resolvers: usable,
      skipped,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // Hand every package to the registry (it imports through `importModule`, so from the cache),
  // which then owns hot reloads. Loading happens before the plugin is looked up, so naming no
  // plugin loads the package and fails only afterwards.
  for (const spec of specs) {
    await registry
      .createResolver({ plugins: [{ property: 'value', package: spec, plugin: '' }] })
      .catch(() => {});
  }

  const listeners = new Set<(resolvers: readonly Resolver[], packageName: string) => void>();
  registry.onReload((event) => {
    const current = registry.packages().find((entry) => entry.name === event.package);
    const module =
      current === undefined ? undefined : toPluginModule(imported.get(current.specifier));
    if (module === undefined) return;
    modules.set(event.package, module);
    const changed = adapters.get(event.package) ?? [];
    for (const adapter of changed) adapter.reset();
    const index = packages.findIndex((entry) => entry.name === event.package);
    if (index >= 0) packages[index] = { ...packages[index]!, version: module.version };
    for (const listener of [...listeners]) listener(changed, event.package);
  });

  const watchers: FSWatcher[] = [];
  const snapshots = createPluginSnapshots();
  // A reload imports a fresh copy of the whole package (see plugin-snapshots.ts): re-importing
  // the entry alone would keep every other file of the package at its first version.
  // One reload of a package at a time (the watcher and an explicit call may overlap): each
  // copies, imports and swaps, and the last to finish is the version in use.
  const reloading = new Map<string, Promise<unknown>>();
  const reload = (name: string): Promise<void> => {
    const run = (reloading.get(name) ?? Promise.resolve()).then(() => reloadNow(name));
    const settled = run.catch(() => {});
    reloading.set(name, settled);
    void settled.then(() => {
      if (reloading.get(name) === settled) reloading.delete(name);
    });
    return run;
  };
  const reloadNow = async (name: string): Promise<void> => {
    if (!Object.hasOwn(locations, name)) {
      await registry.reload(name); // its UNKNOWN_PACKAGE error
      return;
    }
    const entry = entryFileOf(locations[name]!);
    if (entry === undefined) {
      throw createPluginError(
        PluginErrorCode.LoadFailed,
        `cannot hot-reload "${name}": it does not resolve to a file the node could copy (restart the node instead)`,
        { details: { package: name } },
      );
    }
    const snapshot = await snapshots.take(name, entry);
    try {
      await registry.reload(name, pathToFileURL(snapshot.entry).href);
    } catch (error) {
      await snapshot.discard();
      throw error;
    }
    await snapshot.keep();
  };

  return {
    registry,
    resolvers,
    packages,
    reload,
    onReload(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    watchFiles(onError) {
      for (const spec of specs) {
        if (!isPath(spec)) continue;
        let timer: NodeJS.Timeout | undefined;
        // Editors write in several steps (truncate, write, rename): wait for the burst to end.
        const changed = (_event: string, file: string | Buffer | null) => {
          if (file !== null && isIgnored(basename(String(file)))) return;
          clearTimeout(timer);
          timer = setTimeout(() => {
            reload(spec).catch((error: unknown) => onError(error, spec));
          }, 50);
        };
        // Every directory of the package, so that a change to any of its files reloads it.
        for (const path of watchedPaths(resolve(options.cwd, spec))) {
          const watcher = watch(path, changed);
          watcher.on('close', () => clearTimeout(timer));
          watchers.push(watcher);
        }
      }
    },
    close() {
      for (const watcher of watchers.splice(0)) watcher.close();
      snapshots.close();
    },
  };
}
