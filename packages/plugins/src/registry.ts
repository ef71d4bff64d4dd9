import { builtinPlugins } from './builtins/index.ts';
import {
  createCustomResolver,
  type CustomResolver,
  type CustomResolverOptions,
} from './custom-resolver.ts';
import { createPluginError, PluginErrorCode } from './errors.ts';
import { createResolvedCache, type ResolvedCache } from './resolved-cache.ts';
import {
  toEntityResolver,
  type CustomEntityResolver,
  type EntityResolverAdapterOptions,
} from './views-adapter.ts';
import type { PluginFactory, PluginModule, ResolverPlugin } from './types.ts';

/** One plugin of a resolver, as configuration (JSON) names it. */
export interface PluginConfig {
  /** Output property. */
  readonly property: string;
  /** Package that exports the plugin, e.g. `@rhizome/plugin-crdt`; `@rhizome/plugins` for built-ins. */
  readonly package: string;
  /** Key in the package's `plugins` export, e.g. `sequence`. */
  readonly plugin: string;
  /** Passed to the factory together with `property`. */
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface ResolverConfig {
  readonly plugins: readonly PluginConfig[];
}

export interface PluginRegistryOptions {
  /**
   * Where each package is imported from, by name: a bare specifier, a path or a `file:` URL.
   * Unlisted packages are imported by their name.
   */
  readonly locations?: Readonly<Record<string, string>>;
  /**
   * Imports a module; defaults to dynamic `import()` from this package. A bare name resolves from
   * the importing module, so an app under a strict installer (pnpm) passes its own:
   * `importModule: (specifier) => import(specifier)`.
   */
  readonly importModule?: (specifier: string) => Promise<unknown>;
  /** Options for every resolver the registry builds. */
  readonly resolverOptions?: CustomResolverOptions;
}

export interface LoadedPackage {
  readonly name: string;
  readonly version: string | undefined;
  readonly specifier: string;
}

export interface ReloadReport {
  readonly package: string;
  readonly previousVersion: string | undefined;
  readonly version: string | undefined;
  /** Caches whose resolver used the package and were switched to the new version. */
  readonly caches: number;
  /** Views entity resolvers (from `createEntityResolver`) switched to the new version. */
  readonly entityResolvers: number;
  /** Entity views recomputed from their kept deltas. */
  readonly entitiesRecomputed: number;
}

/** What reload listeners hear: the report, and the views entity resolvers now on the new version. */
export interface ReloadEvent extends ReloadReport {
  /**
   * The entity resolvers from `createEntityResolver` that switched. Views caches their outputs,
   * so hand each to `store.invalidate(resolver)` to recompute the views built with the old version.
   */
  readonly switchedEntityResolvers: readonly CustomEntityResolver[];
}

export type ReloadListener = (event: ReloadEvent) => void;

/**
 * Loads plugin packages by name, builds custom resolvers from configuration and can swap a
 * package for a new version while running (hot reload): every cache built through the registry
 * that uses the package recomputes its views from the deltas it kept.
 */
export interface PluginRegistry {
  /** Builds a resolver from configuration, importing packages on first use. */
  createResolver(config: ResolverConfig): Promise<CustomResolver>;
  /** A cache of resolved views the registry keeps current across hot reloads. */
  createCache(config: ResolverConfig): Promise<ResolvedCache>;
  /**
   * Re-imports `packageName` (from `specifier`, or its known location with a cache-busting query)
   * and switches every affected cache to it. On any failure nothing changes and the error is thrown.
   */
  reload(packageName: string, specifier?: string): Promise<ReloadReport>;
  /**
   * A views `EntityResolver` from configuration that follows hot reloads: after a reload, each
   * entity is resolved afresh by the new version the next time views asks for it.
   */
  createEntityResolver(
    config: ResolverConfig,
    options?: EntityResolverAdapterOptions,
  ): Promise<CustomEntityResolver>;
  /**
   * Calls `listener` after every successful reload, once the new version is in place. Wire a views
   * store here so its cached views follow reloads without waiting for new deltas:
   * `registry.onReload(({ switchedEntityResolvers }) => switchedEntityResolvers.forEach((r) =>
   * store.invalidate(r)))`. If a listener throws, the others still run and `reload` rethrows the
   * first error (the new version stays in place). Returns a function that removes the listener.
   */
  onReload(listener: ReloadListener): () => void;
  packages(): LoadedPackage[];
}

const BUILTIN_PACKAGE = '@rhizome/plugins';

function isPluginModule(value: unknown): value is PluginModule {
  if (typeof value !== 'object' || value === null) return false;
  const plugins = (value as { plugins?: unknown }).plugins;
  return typeof plugins === 'object' && plugins !== null;
}

/** Accepts `export const plugins = …` as well as a default export of the same shape. */
function toPluginModule(name: string, imported: unknown): PluginModule {
  if (isPluginModule(imported)) return imported;
  const fallback = (imported as { default?: unknown } | null)?.default;
  if (isPluginModule(fallback)) return fallback;
  throw createPluginError(
    PluginErrorCode.LoadFailed,
    `package "${name}" does not export \`plugins\``,
    {
      details: { package: name },
    },
  );
}

function withCacheBuster(specifier: string, generation: number): string {
  // Only paths and URLs can carry a query; a bare name is re-imported as is (the new specifier
  // should then be given explicitly).
  const isUrl = /^[a-z][a-z0-9+.-]*:/i.test(specifier) && !specifier.startsWith('node:');
  const isPath = specifier.startsWith('/') || specifier.startsWith('.');
  if (!isUrl && !isPath) return specifier;
  const base = specifier.replace(/[?&]rhizome-reload=\d+/, '');
  return `${base}${base.includes('?') ? '&' : '?'}rhizome-reload=${generation}`;
}

export function createPluginRegistry(options: PluginRegistryOptions = {}): PluginRegistry {
  const importModule =
    options.importModule ?? ((specifier: string) => import(/* @vite-ignore */ specifier));
  const loaded = new Map<string, { module: PluginModule; specifier: string }>([
    [BUILTIN_PACKAGE, { module: builtinPlugins, specifier: BUILTIN_PACKAGE }],
  ]);
  const caches: { config: ResolverConfig; cache: ResolvedCache }[] = [];
  const entityResolvers: {
    config: ResolverConfig;
    current: CustomResolver;
    adapter?: CustomEntityResolver;
  }[] = [];
  const listeners = new Set<ReloadListener>();
  let generation = 0;

  const importPackage = async (name: string, specifier: string): Promise<PluginModule> => {
    let imported: unknown;
    try {
      imported = await importModule(specifier);
    } catch (cause) {
      throw createPluginError(
        PluginErrorCode.LoadFailed,
        `could not import plugin package "${name}" from ${specifier}`,
        {
          cause,
          details: { package: name, specifier },
        },
      );
    }
    return toPluginModule(name, imported);
  };

  const ensureLoaded = async (name: string): Promise<PluginModule> => {
    const known = loaded.get(name);
    if (known !== undefined) return known.module;
    const specifier = options.locations?.[name] ?? name;
    const module = await importPackage(name, specifier);
    loaded.set(name, { module, specifier });
    return module;
  };

  const instantiate = (config: PluginConfig, module: PluginModule): ResolverPlugin => {
    const factory: PluginFactory | undefined = module.plugins[config.plugin];
    if (typeof factory !== 'function') {
      throw createPluginError(
        PluginErrorCode.LoadFailed,
        `package "${config.package}" has no plugin "${config.plugin}" (it has: ${Object.keys(module.plugins).join(', ')})`,
        { details: { package: config.package, plugin: config.plugin } },
      );
    }
    try {
      return factory({ ...config.options, property: config.property });
    } catch (cause) {
      throw createPluginError(
        PluginErrorCode.LoadFailed,
        `plugin "${config.plugin}" of package "${config.package}" failed to start for property "${config.property}"`,
        {
          cause,
          details: { package: config.package, plugin: config.plugin, property: config.property },
        },
      );
    }
  };

  const build = (
    config: ResolverConfig,
    modules: ReadonlyMap<string, PluginModule>,
  ): CustomResolver =>
    createCustomResolver(
      config.plugins.map((entry) => instantiate(entry, modules.get(entry.package)!)),
      options.resolverOptions,
    );

  const currentModules = (): Map<string, PluginModule> =>
    new Map([...loaded].map(([name, entry]) => [name, entry.module]));

  const createResolver = async (config: ResolverConfig): Promise<CustomResolver> => {
    for (const entry of config.plugins) await ensureLoaded(entry.package);
    return build(config, currentModules());
  };

  return {
    createResolver,
    async createCache(config) {
      const cache = createResolvedCache(await createResolver(config));
      caches.push({ config, cache });
      return cache;
    },
    async createEntityResolver(config, adapterOptions) {
      const holder: (typeof entityResolvers)[number] = {
        config,
        current: await createResolver(config),
      };
      holder.adapter = toEntityResolver(() => holder.current, adapterOptions);
      entityResolvers.push(holder);
      return holder.adapter;
    },
    onReload(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async reload(packageName, specifier) {
      const known = loaded.get(packageName);
      if (known === undefined || packageName === BUILTIN_PACKAGE) {
        throw createPluginError(
          PluginErrorCode.UnknownPackage,
          `no plugin package "${packageName}" is loaded`,
          {
            details: { package: packageName },
          },
        );
      }
      generation += 1;
      const source = specifier ?? withCacheBuster(known.specifier, generation);
      const module = await importPackage(packageName, source);
      const modules = currentModules();
      modules.set(packageName, module);
      // Build every affected resolver first: a bad new version throws here and changes nothing.
      const uses = ({ config }: { config: ResolverConfig }) =>
        config.plugins.some((entry) => entry.package === packageName);
      const affected = caches.filter(uses);
      const resolvers = affected.map(({ config }) => build(config, modules));
      const affectedEntityResolvers = entityResolvers.filter(uses);
      const entityReplacements = affectedEntityResolvers.map(({ config }) =>
        build(config, modules),
      );
      loaded.set(packageName, { module, specifier: source });
      let entitiesRecomputed = 0;
      affected.forEach(({ cache }, index) => {
        entitiesRecomputed += cache.replaceResolver(resolvers[index]!);
      });
      affectedEntityResolvers.forEach((holder, index) => {
        holder.current = entityReplacements[index]!;
        // The per-entity state was built by the old version and would only be replaced later.
        holder.adapter?.forget();
      });
      const report: ReloadReport = {
        package: packageName,
        previousVersion: known.module.version,
        version: module.version,
        caches: affected.length,
        entityResolvers: affectedEntityResolvers.length,
        entitiesRecomputed,
      };
      const event: ReloadEvent = {
        ...report,
        switchedEntityResolvers: affectedEntityResolvers.flatMap(({ adapter }) =>
          adapter === undefined ? [] : [adapter],
        ),
      };
      const errors: unknown[] = [];
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
      return report;
    },
    packages: () =>
      [...loaded].map(([name, entry]) => ({
        name,
        version: entry.module.version,
        specifier: entry.specifier,
      })),
  };
}
