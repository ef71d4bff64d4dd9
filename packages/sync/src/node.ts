import type { Clock } from '@rhizome/core';
import { createCatchUpGate } from './catch-up-gate.ts';
import type { Channel } from './channel.ts';
import { defaultSyncLimits, type SyncLimits } from './limits.ts';
import { createRealScheduler, type Scheduler } from './scheduler.ts';
import {
  createSession,
  type Session,
  type SessionOptions,
  type SessionSnapshot,
} from './session.ts';
import type { SyncStore } from './store.ts';

export interface SyncNodeOptions {
  readonly nodeId: string;
  readonly store: SyncStore;
  readonly scheduler?: Scheduler;
  /** Folds peers' timestamps into the local clock, so local writes order after what was seen. */
  readonly clock?: Clock;
  /**
   * The secret this node shares with each peer. When set, both sides of every link prove they know
   * it (HMAC challenge–response; the secret never travels) and peers without one are refused.
   */
  readonly secretFor?: (peerNodeId: string) => string | undefined | Promise<string | undefined>;
  /** Addresses this node can be reached at, told to peers. */
  readonly advertise?: readonly string[];
  readonly limits?: Partial<SyncLimits>;
}

/** A row of the peer list (for the API). */
export interface PeerInfo extends SessionSnapshot {
  /** How far this node's cursor is behind the peer's head as last reported (0 when unknown). */
  readonly lag: number;
}

export interface SyncNode {
  readonly nodeId: string;
  readonly store: SyncStore;
  /** Runs the sync protocol over a connected channel, dialled or accepted. */
  attach(channel: Channel, options?: SessionOptions): Session;
  sessions(): readonly Session[];
  peers(): readonly PeerInfo[];
  /** Addresses learnt through peer exchange, plus this node's own. */
  knownAddresses(): readonly string[];
  /** Addresses learnt through peer exchange only. */
  learntAddresses(): readonly string[];
  /** Closes every session and stops listening to the store. */
  close(): void;
}

const MAX_KNOWN_ADDRESSES = 256;

export function createSyncNode(options: SyncNodeOptions): SyncNode {
  const limits: SyncLimits = { ...defaultSyncLimits, ...options.limits };
  const scheduler = options.scheduler ?? createRealScheduler();
  const sessions = new Set<Session>();
  const own = new Set(options.advertise ?? []);
  const learnt = new Set<string>();

  let localHead = 0;
  void options.store.head().then(
    (head) => {
      localHead = Math.max(localHead, head);
    },
    () => undefined,
  );
  const unsubscribe = options.store.onAppend((entries) => {
    const last = entries[entries.length - 1];
    if (last !== undefined) localHead = Math.max(localHead, last.seq);
    for (const session of sessions) session.wake();
  });

  const context = {
    nodeId: options.nodeId,
    store: options.store,
    scheduler,
    limits,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.secretFor === undefined ? {} : { secretFor: options.secretFor }),
    addresses: () => [...own, ...learnt].slice(0, 64),
    localHead: () => localHead,
    catchUpGate: createCatchUpGate(),
    learnAddresses(addresses: readonly string[]) {
      for (const address of addresses) {
        if (own.has(address) || learnt.size >= MAX_KNOWN_ADDRESSES) continue;
        learnt.add(address);
      }
    },
  };

  return {
    nodeId: options.nodeId,
    store: options.store,
    attach(channel, sessionOptions = {}) {
      const session = createSession(context, channel, sessionOptions);
      sessions.add(session);
      session.onClosed(() => sessions.delete(session));
      return session;
    },
    sessions() {
      return [...sessions];
    },
    peers() {
      return [...sessions].map((session) => {
        const snapshot = session.snapshot();
        const lag = snapshot.remoteHead === undefined ? 0 : Math.max(0, snapshot.remoteHead - (snapshot.cursor ?? 0));
        return { ...snapshot, lag };
      });
    },
    knownAddresses() {
      return [...own, ...learnt];
    },
    learntAddresses() {
      return [...learnt];
    },
    close() {
      unsubscribe();
      for (const session of [...sessions]) session.close();
    },
  };
}
