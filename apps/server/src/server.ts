import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { createOpenPrincipal, createRhizomeNode, type RhizomeNode } from '@rhizome/api';
import type { DeltaStore } from '@rhizome/storage';
import { openDeltaStore } from '@rhizome/storage-postgres';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import type { ServerConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createAuthenticator } from './tokens.ts';

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 (the port actually bound when 0 was asked). */
  readonly url: string;
  readonly port: number;
  readonly node: RhizomeNode;
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
  let node: RhizomeNode;
  try {
    node = await createRhizomeNode({ store, nodeId: config.nodeId });
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  const authenticator = createAuthenticator(config.tokens, createOpenPrincipal());
  if (authenticator.open) {
    logger.warn(
      { host: config.host },
      '!!! NO TOKENS CONFIGURED: this node runs OPEN (no authentication) and binds loopback only. Set RHIZOME_TOKENS to expose it. !!!',
    );
  }
  let draining = false;
  const app = createApp({
    node,
    authenticator,
    logger,
    metrics: createMetrics(),
    bodyLimit: config.bodyLimit,
    isReady: () => !draining,
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
      resolve(listening),
    );
    listening.once('error', reject);
  });
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
      logger.info('shutting down: no new connections, finishing in-flight writes');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
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

  return { url, port, node, close };
}
