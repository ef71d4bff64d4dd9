import { mkdir } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { createOpenPrincipal, createRhizomeNode, type RhizomeNode } from '@rhizome/node';
import type { AppendResult, DeltaStore } from '@rhizome/storage';
import { openDeltaStore } from '@rhizome/storage-postgres';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import type { ServerConfig } from './config.ts';
import { guardConnections, httpServerOptions } from './connection-limits.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { loadPlugins, type LoadedPlugins } from './plugins.ts';
import { startSync, type SyncService } from './sync.ts';
import { createAuthenticator } from './tokens.ts';
import { loadSigningKeys, type ServerSigningKey } from './signing-keys.ts';

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 (the port actually bound when 0 was asked). */
  readonly url: string;
  readonly port: number;
  readonly node: RhizomeNode;
  /** The node's sync side: its peer list, and the endpoint peers dial (`/sync`). */
  readonly sync: SyncService;
  /** The plugin packages loaded at start (RHIZOME_PLUGINS), and their hot reloads. */
  readonly plugins: LoadedPlugins;
  /** Stop accepting, finish in-flight writes, end subscriptions, close the store. Idempotent. */
  close(): Promise<void>;
}

export interface StartServerOptions {
  readonly logger?: Logger;
  /** Use this store instead of opening one from the config (tests). The server closes it. */
  readonly store?: DeltaStore;
}

/** Opens storage, rebuilds the views, and listens. */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  // The key file first, before anything is opened: a wrong passphrase is one line, nothing to undo.
  let signingKeys = new Map<string, ServerSigningKey>();
  if (config.signingKeys !== undefined) {
    try {
      signingKeys = await loadSigningKeys(config.signingKeys.file, config.signingKeys.passphrase);
    } catch (error) {
      await options.store?.close().catch(() => {});
      throw error;
    }
    logger.info(
      {
        keys: [...signingKeys].map(([creator, { publicKey }]) => ({ creator, publicKey })),
      },
      'server-held signing keys loaded: list each public key on _creator:<creator> to make its deltas verified',
    );
  }
  // Plugins first: a bad one is a configuration error, found before storage is opened.
  let plugins: LoadedPlugins;
  try {
    plugins = await loadPlugins(config.plugins, { cwd: config.cwd });
  } catch (error) {
    await options.store?.close().catch(() => {});
    throw error;
  }
  // PGlite creates its own directory but not the parents (./.rhizome-data on a fresh clone).
  if (options.store === undefined && config.databaseUrl === undefined) {
    await mkdir(dirname(config.dataDir), { recursive: true });
  }
  const store =
    options.store ??
    (await openDeltaStore({
      dataDir: config.dataDir,
      env: {},
      ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
      ...(config.databaseSchema === undefined ? {} : { schema: config.databaseSchema }),
    }));
  const metrics = createMetrics();
  let node: RhizomeNode;
  try {
    node = await createRhizomeNode({
      store: measureAppends(store, metrics),
      nodeId: config.nodeId,
      resolvers: plugins.resolvers,
      streamBufferSize: config.streamBufferSize,
      cacheBytes: config.cacheBytes,
      maxWatchedEntities: config.maxWatchedEntities,
      maxSortedCandidates: config.maxSortedCandidates,
      maxValidationScan: config.maxValidationScan,
      requireSignatures: config.requireSignatures,
      adminKeys: config.adminKeys,
      onError: (error) => logger.error({ err: error }, 'entity cache: a load failed'),
    });
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  if (plugins.packages.length > 0) {
    logger.info(
      {
        plugins: plugins.packages.map(({ name, version, resolvers, skipped }) => ({
          name,
          version,
          resolvers,
          ...(skipped.length === 0 ? {} : { skipped }),
        })),
      },
      'plugins loaded',
    );
  }
  // A hot reload recomputes the cached views its resolvers made; watchers hear what changed.
  plugins.onReload((resolvers, name) => {
    for (const resolver of resolvers) node.invalidateViews(resolver);
    logger.info({ plugin: name, resolvers: resolvers.map((r) => r.name) }, 'plugin reloaded');
  });
  plugins.watchFiles((error, name) =>
    logger.error({ err: error, plugin: name }, 'plugin reload failed; the previous version stays'),
  );
  const authenticator = createAuthenticator(
    config.tokens,
    createOpenPrincipal(),
    new Map([...signingKeys].map(([creator, key]) => [creator, key.sign])),
  );
  if (authenticator.open) {
    logger.warn(
      { host: config.host },
      '!!! NO TOKENS CONFIGURED: this node runs OPEN (no authentication) and binds loopback only. Set RHIZOME_TOKENS to expose it. !!!',
    );
  }
  let sync: SyncService;
  try {
    sync = await startSync({ node, store, config: config.sync, authenticator, logger });
  } catch (error) {
    plugins.close();
    await node.close().catch(() => {});
    throw error;
  }
  metrics.trackPeers(() => sync.list());
  metrics.trackSyncTotals(() => sync.node.totals());
  let draining = false;
  const app = createApp({
    node,
    peers: sync,
    authenticator,
    logger,
    metrics,
    bodyLimit: config.bodyLimit,
    debugErrors: config.debugErrors,
    corsOrigins: config.corsOrigins,
    isReady: () => !draining,
  });

  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const listening = serve(
        {
          fetch: app.fetch,
          port: config.port,
          hostname: config.host,
          serverOptions: httpServerOptions(config.connections),
        },
        () => resolve(listening),
      );
      listening.once('error', reject);
    });
  } catch (error) {
    // The port is taken (or not ours): undo the start so the store is closed cleanly.
    plugins.close();
    await sync.close().catch(() => {});
    await node.close().catch(() => {});
    throw error;
  }
  guardConnections(server as HttpServer, config.connections);
  server.on('upgrade', (request, socket, head) => sync.handleUpgrade(request, socket, head));
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info(
    {
      url,
      storage:
        config.databaseUrl === undefined
          ? { pglite: config.dataDir }
          : { postgres: config.databaseSchema ?? 'public' },
    },
    'rhizome node listening',
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      plugins.close();
      logger.info('shutting down: no new connections, finishing in-flight writes');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await sync.close(); // stop dialling, say goodbye to peers, take no more replicated deltas
      await node.close(); // waits for writes in flight, ends subscriptions, closes the store
      // Keep-alive sockets would hold `close` open; idle ones go now, busy ones after the grace period.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      const timer = setTimeout(() => {
        if ('closeAllConnections' in server) server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      logger.info('stopped');
    })());

  return { url, port, node, sync, plugins, close };
}

/** The store as the node sees it: every append timed into the metrics. */
function measureAppends(store: DeltaStore, metrics: Metrics): DeltaStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'append' || property === 'appendValidated') {
        const append = (
          target[property] as (deltas: readonly unknown[]) => Promise<AppendResult>
        ).bind(target);
        return async (deltas: readonly unknown[]) => {
          const started = performance.now();
          const result = await append(deltas);
          metrics.observeAppend((performance.now() - started) / 1000, result.inserted.length);
          return result;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
