import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ApiErrorCode,
  createApiError,
  hasScope,
  type PeerRow,
  type PeerService,
  type RhizomeNode,
} from '@rhizome/api';
import type { DeltaStore } from '@rhizome/storage';
import {
  createPeerManager,
  createSyncNode,
  createSyncStoreFromDeltaStore,
  type PeerInfo,
  type PeerPolicy,
  type SyncNode,
} from '@rhizome/sync';
import { createSyncSocketServer, dialSyncSocket } from '@rhizome/sync/ws';
import type { Logger } from 'pino';
import { isLoopbackHost } from './request-guards.ts';
import type { Authenticator } from './tokens.ts';

/** The path of the sync WebSocket endpoint. */
export const SYNC_PATH = '/sync';

export interface SyncConfig {
  /** Peers dialled from the start and kept connected. */
  readonly peers: readonly string[];
  /** Bearer token this node presents when it dials a peer whose server checks tokens. */
  readonly peerToken: string | undefined;
  /** Shared secret every link must prove (HMAC challenge–response inside the sync handshake). */
  readonly secret: string | undefined;
  /** Sync addresses of this node, told to peers (peer exchange). */
  readonly advertise: readonly string[];
  /**
   * Offer and accept permessage-deflate on sync links (RHIZOME_SYNC_COMPRESSION, on by default):
   * deltas are JSON with repeated keys and ids, which deflate shrinks several times over.
   */
  readonly compress?: boolean;
  /** Sync links still in their handshake at most, in all and from one address (503 past it). */
  readonly maxPendingHandshakes?: number;
  readonly maxPendingHandshakesPerAddress?: number;
  /**
   * What each peer may replicate here, by the creator id of the `peer` token it links with; `*`
   * applies to peers without an entry of their own (and to every peer of an open node).
   */
  readonly peerPolicies?: Readonly<Record<string, PeerPolicy>>;
  /** Unsent bytes one link may hold before batches pause, and how long before it is dropped. */
  readonly maxBufferedBytes?: number;
  readonly stallTimeoutMs?: number;
  /**
   * Newest feed entries kept in memory (RHIZOME_SYNC_RECENT_ENTRIES): peers pulling at the live
   * edge, and the echo skipping while this node catches up, read them instead of the store.
   */
  readonly recentEntries?: number;
}

export interface SyncService extends PeerService {
  readonly node: SyncNode;
  /** Routes an HTTP upgrade: sync on SYNC_PATH for callers with the `peer` scope; refused otherwise. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stops dialling, says goodbye on every link and closes the endpoint. */
  close(): Promise<void>;
}

export interface StartSyncOptions {
  readonly node: RhizomeNode;
  readonly store: DeltaStore;
  readonly config: SyncConfig;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
}

function refuseUpgrade(socket: Duplex, status: number, text: string, body: object): void {
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
  );
}

function errorBody(code: string, message: string): object {
  return { error: { code, message, details: null } };
}

/**
 * Sync for a server node: peers' deltas go through the node (views, subscribers, group commit),
 * local writes reach peers through the store's feed, and the peer list feeds the API.
 */
export async function startSync(options: StartSyncOptions): Promise<SyncService> {
  const { node, store, config, authenticator, logger } = options;
  const feedId = await store.feedId();
  const syncStore = createSyncStoreFromDeltaStore(store, {
    append: (deltas, json) => node.replicate(deltas, json),
    ...(config.recentEntries === undefined ? {} : { maxRecentEntries: config.recentEntries }),
  });
  const secret = config.secret;
  const syncNode = createSyncNode({
    nodeId: node.nodeId,
    store: syncStore,
    clock: node.clock,
    advertise: config.advertise,
    limits: {
      ...(config.maxBufferedBytes === undefined
        ? {}
        : { maxBufferedBytes: config.maxBufferedBytes }),
      ...(config.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: config.stallTimeoutMs }),
    },
    ...(secret === undefined ? {} : { secretFor: () => secret }),
  });
  const compress = config.compress ?? true;
  const sockets = createSyncSocketServer({
    node: syncNode,
    compress,
    ...(config.maxPendingHandshakes === undefined
      ? {}
      : { maxPendingHandshakes: config.maxPendingHandshakes }),
    ...(config.maxPendingHandshakesPerAddress === undefined
      ? {}
      : { maxPendingHandshakesPerAddress: config.maxPendingHandshakesPerAddress }),
  });
  const outboundPolicy = config.peerPolicies?.['*'];
  const headers =
    config.peerToken === undefined ? undefined : { authorization: `Bearer ${config.peerToken}` };
  // Peers added through the API are kept in storage, so a restart dials them again. One that is
  // configured as well counts as configured: it goes when RHIZOME_PEERS drops it.
  const configured = new Set(config.peers);
  const saved = (await store.savedPeers()).filter((address) => !configured.has(address));
  const manager = createPeerManager({
    node: syncNode,
    seeds: [...configured, ...saved],
    dial: (address) =>
      dialSyncSocket({
        node: syncNode,
        url: address,
        compress,
        ...(headers === undefined ? {} : { headers }),
        // A dialled peer shows no token here: it gets the policy for peers without an entry.
        ...(outboundPolicy === undefined ? {} : { policy: outboundPolicy }),
      }),
  });
  logger.info({ path: SYNC_PATH, seeds: config.peers, saved, feedId }, 'sync endpoint ready');

  const originOf = (address: string, seed: boolean): PeerRow['origin'] =>
    configured.has(address) ? 'config' : seed ? 'api' : 'exchange';

  const rowOf = (
    session: PeerInfo | undefined,
  ): Omit<PeerRow, 'address' | 'direction' | 'seed' | 'origin' | 'failures'> => ({
    nodeId: session?.peer?.nodeId ?? null,
    state: session === undefined ? 'connecting' : session.state,
    connected: session?.state === 'open',
    lag: session?.lag ?? 0,
    pull: session?.pull ?? null,
    deltasReceived: session?.stats.deltasReceived ?? 0,
    deltasSent: session?.stats.deltasSent ?? 0,
    lastError: session?.lastError?.message ?? null,
  });

  const list = (): PeerRow[] => {
    const sessions = syncNode.peers();
    const dialled = new Set<string>();
    const rows: PeerRow[] = manager.peers().map((link) => {
      dialled.add(link.address);
      const session = sessions.find((s) => s.address === link.address && s.state !== 'closed');
      const row = rowOf(session);
      return {
        ...row,
        address: link.address,
        direction: 'outbound',
        seed: link.seed,
        origin: originOf(link.address, link.seed),
        nodeId: row.nodeId ?? link.nodeId ?? null,
        state: link.deduplicated && session === undefined ? 'closed' : row.state,
        failures: link.failures,
        lastError: row.lastError ?? link.lastError ?? null,
      };
    });
    for (const session of sessions) {
      if (session.address !== undefined && dialled.has(session.address)) continue;
      rows.push({
        ...rowOf(session),
        address: session.address ?? null,
        direction: 'inbound',
        seed: false,
        origin: null,
        failures: 0,
      });
    }
    return rows;
  };

  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw createApiError(ApiErrorCode.NodeUnavailable, 'the node is shutting down');
  };
  // Adds and removes run one at a time, so that the links and the saved list agree.
  let pending: Promise<unknown> = Promise.resolve();
  const serially = <T>(change: () => Promise<T>): Promise<T> => {
    const run = pending.then(change, change);
    pending = run.catch(() => undefined);
    return run;
  };

  return {
    node: syncNode,
    list,
    add: (address) =>
      serially(async () => {
        assertOpen();
        if (!manager.add(address)) {
          throw createApiError(
            ApiErrorCode.PeerExists,
            `"${address}" is already a peer of this node`,
            {
              details: { address },
            },
          );
        }
        try {
          await store.savePeer(address);
        } catch (error) {
          // Not saved, so not added: a link that would vanish at the next restart is a surprise.
          manager.remove(address);
          throw error;
        }
        logger.info({ address }, 'peer added');
        return list().find((row) => row.address === address)!;
      }),
    remove: (address) =>
      serially(async () => {
        assertOpen();
        if (configured.has(address)) {
          throw createApiError(
            ApiErrorCode.PeerConfigured,
            `"${address}" is configured in RHIZOME_PEERS: remove it there`,
            { details: { address } },
          );
        }
        if (!manager.peers().some((peer) => peer.address === address)) {
          throw createApiError(
            ApiErrorCode.PeerNotFound,
            `"${address}" is not a peer this node dials`,
            {
              details: { address },
            },
          );
        }
        // Forget first: if storage fails, the link is still there and the call can be retried.
        const wasSaved = await store.forgetPeer(address);
        manager.remove(address);
        logger.info({ address, saved: wasSaved }, 'peer removed');
      }),
    handleUpgrade(request, socket, head) {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (path !== SYNC_PATH) {
        refuseUpgrade(
          socket,
          404,
          'Not Found',
          errorBody(ApiErrorCode.RouteNotFound, `no WebSocket endpoint at ${path}`),
        );
        return;
      }
      if (closed || !node.accepting) {
        refuseUpgrade(
          socket,
          503,
          'Service Unavailable',
          errorBody(ApiErrorCode.NodeUnavailable, 'the node is shutting down'),
        );
        return;
      }
      // Peers are nodes, never web pages: a browser always sends Origin on a WebSocket handshake,
      // and a page may open one to any address. An open node also answers to loopback names only.
      if (request.headers.origin !== undefined) {
        refuseUpgrade(
          socket,
          403,
          'Forbidden',
          errorBody(ApiErrorCode.OriginNotAllowed, 'sync links are not taken from web pages'),
        );
        return;
      }
      if (authenticator.open && !isLoopbackHost(request.headers.host)) {
        refuseUpgrade(
          socket,
          403,
          'Forbidden',
          errorBody(
            ApiErrorCode.HostNotAllowed,
            'this node runs open and answers only to loopback',
          ),
        );
        return;
      }
      const auth = authenticator.authenticate(request.headers.authorization);
      if (!auth.ok || auth.principal === null) {
        const reason = auth.ok ? 'a bearer token with the "peer" scope is required' : auth.reason;
        refuseUpgrade(socket, 401, 'Unauthorized', errorBody(ApiErrorCode.Unauthenticated, reason));
        return;
      }
      if (!hasScope(auth.principal, 'peer')) {
        refuseUpgrade(
          socket,
          403,
          'Forbidden',
          errorBody(ApiErrorCode.Forbidden, 'this token lacks the "peer" scope'),
        );
        return;
      }
      const policies = config.peerPolicies ?? {};
      const policy = Object.hasOwn(policies, auth.principal.creator)
        ? policies[auth.principal.creator]
        : policies['*'];
      sockets.handleUpgrade(request, socket, head, policy === undefined ? undefined : { policy });
    },
    async close() {
      if (closed) return;
      closed = true;
      manager.stop();
      syncNode.close();
      syncStore.stop();
      await sockets.close();
    },
  };
}
