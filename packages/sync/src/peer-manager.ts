import type { BackoffOptions } from './backoff.ts';
import type { SyncNode } from './node.ts';
import { createRandom, type Random } from './random.ts';
import { createReconnector, type Reconnector } from './reconnect.ts';
import { createRealScheduler, type Scheduler } from './scheduler.ts';
import type { Session } from './session.ts';

export interface PeerManagerOptions {
  readonly node: SyncNode;
  /** Addresses from configuration, always kept connected. */
  readonly seeds: readonly string[];
  /** Opens a link to an address (e.g. `dialSyncSocket`). */
  readonly dial: (address: string) => Promise<Session>;
  /** Dial addresses learnt through peer exchange, up to `maxPeers` links in all. Default true. */
  readonly discover?: boolean;
  readonly maxPeers?: number;
  /** How often to look for newly learnt addresses. */
  readonly discoverIntervalMs?: number;
  readonly scheduler?: Scheduler;
  readonly random?: Random;
  readonly backoff?: BackoffOptions;
}

export interface ManagedPeer {
  readonly address: string;
  readonly seed: boolean;
  /** The node at the address, once a link reached it. */
  readonly nodeId: string | undefined;
  readonly connected: boolean;
  /** Not dialled because the peer already has a link to this node that it keeps. */
  readonly deduplicated: boolean;
  /** Failed dials or dropped links since the last good handshake. */
  readonly failures: number;
  readonly lastError: string | undefined;
}

export interface PeerManager {
  peers(): readonly ManagedPeer[];
  /**
   * Keeps a link to `address` from now on, as a seed would be (redialled with backoff). Returns
   * false when the address is already linked or is this node's own.
   */
  add(address: string): boolean;
  /**
   * Stops dialling `address` and closes its link with a goodbye. Peer exchange does not dial it
   * again until `add(address)`. Returns false when the address has no link.
   */
  remove(address: string): boolean;
  stop(): void;
}

interface Link {
  reconnector: Reconnector | undefined;
  readonly seed: boolean;
  lastError: string | undefined;
  /** The peer reached at this address, once known. */
  nodeId: string | undefined;
}

/**
 * Membership: keeps seed peers connected, and grows the mesh from addresses peers tell about,
 * each link redialled with backoff and jitter.
 */
export function createPeerManager(options: PeerManagerOptions): PeerManager {
  const scheduler = options.scheduler ?? createRealScheduler();
  const random = options.random ?? createRandom(Math.floor(Math.random() * 2 ** 31));
  const maxPeers = options.maxPeers ?? 8;
  const own = new Set(options.node.knownAddresses().filter((address) => !options.node.learntAddresses().includes(address)));
  const links = new Map<string, Link>();
  // Removed on purpose: peers keep telling this node about them, and discovery must not undo it.
  const removed = new Set<string>();
  let stopped = false;
  let cancelDiscovery: (() => void) | undefined;

  const dial = (address: string, link: Link): void => {
    link.reconnector = createReconnector({
      scheduler,
      random,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      connect: () => options.dial(address),
      onError: (error) => {
        link.lastError = error instanceof Error ? error.message : String(error);
      },
    });
  };

  const add = (address: string, seed: boolean): void => {
    if (links.has(address) || own.has(address)) return;
    const link: Link = { reconnector: undefined, seed, lastError: undefined, nodeId: undefined };
    links.set(address, link);
    dial(address, link);
  };

  const openSessionsWith = (nodeId: string): number =>
    options.node.sessions().filter((session) => {
      const snapshot = session.snapshot();
      return snapshot.state === 'open' && snapshot.peer?.nodeId === nodeId;
    }).length;

  /**
   * Peer exchange makes both ends of a pair dial each other, and two links carry everything
   * twice. When a peer is linked twice, the node with the larger id stops dialling it (the other
   * keeps its link), and dials again as soon as the peer is not linked at all.
   */
  const dropDuplicates = (): void => {
    for (const [address, link] of links) {
      const session = link.reconnector?.current()?.snapshot();
      if (session?.peer !== undefined) link.nodeId = session.peer.nodeId;
      if (link.nodeId === undefined) continue;
      if (link.reconnector !== undefined && options.node.nodeId > link.nodeId && openSessionsWith(link.nodeId) > 1) {
        link.reconnector.stop();
        link.reconnector = undefined;
      } else if (link.reconnector === undefined && openSessionsWith(link.nodeId) === 0) {
        dial(address, link);
      }
    }
  };

  const discover = (): void => {
    if (stopped) return;
    dropDuplicates();
    if (options.discover !== false) {
      for (const address of options.node.learntAddresses()) {
        if (links.size >= maxPeers) break;
        if (!removed.has(address)) add(address, false);
      }
    }
    cancelDiscovery = scheduler.schedule(options.discoverIntervalMs ?? 5_000, discover);
  };

  for (const seed of options.seeds) add(seed, true);
  discover();

  return {
    peers() {
      return [...links].map(([address, link]) => {
        const session = link.reconnector?.current();
        return {
          address,
          seed: link.seed,
          nodeId: link.nodeId,
          connected: session?.snapshot().state === 'open',
          deduplicated: link.reconnector === undefined,
          failures: link.reconnector?.failures ?? 0,
          lastError: session?.snapshot().lastError?.message ?? link.lastError,
        };
      });
    },
    add(address) {
      if (stopped || links.has(address) || own.has(address)) return false;
      removed.delete(address);
      add(address, true);
      return true;
    },
    remove(address) {
      const link = links.get(address);
      if (link === undefined) return false;
      // Stopping the reconnector closes its live session the way `stop` does (a clean close the
      // peer sees as a goodbye), and a dial still in flight is closed as soon as it lands.
      link.reconnector?.stop();
      link.reconnector = undefined;
      links.delete(address);
      removed.add(address);
      return true;
    },
    stop() {
      stopped = true;
      cancelDiscovery?.();
      for (const link of links.values()) link.reconnector?.stop();
    },
  };
}
