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
  type SessionStats,
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
  /**
   * Every session's counters added up since the node started, closed sessions included (the
   * per-link counters of `peers()` start over with each link).
   */
  totals(): SessionStats;
  /** Addresses learnt through peer exchange, plus this node's own. */
  knownAddresses(): readonly string[];
  /** Addresses learnt through peer exchange only. */
  learntAddresses(): readonly string[];
  /** Closes every session and stops listening to the store. */
  close(): void;
}

const MAX_KNOWN_ADDRESSES = 256;

function emptyStats(): SessionStats {
  return {
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    duplicateFrames: 0,
    batchesSent: 0,
    deltasSent: 0,
    batchesReceived: 0,
    deltasReceived: 0,
    deltasStored: 0,
    deltasRefused: 0,
    rejectedBatches: 0,
    strikes: 0,
    reconciliations: 0,
    idsAnnounced: 0,
    announcementsReceived: 0,
    announcementsWanted: 0,
  };
}

function addStats(into: SessionStats, stats: Readonly<SessionStats>): void {
  for (const key of Object.keys(into) as (keyof SessionStats)[]) into[key] += stats[key];
}

export function createSyncNode(options: SyncNodeOptions): SyncNode {
  const limits: SyncLimits = { ...defaultSyncLimits, ...options.limits };
  const scheduler = options.scheduler ?? createRealScheduler();
  const sessions = new Set<Session>();
  const own = new Set(options.advertise ?? []);
  const learnt = new Set<string>();
  // Counters of the sessions that have closed; the open ones are added at each `totals()`.
  const closedTotals = emptyStats();

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
      session.onClosed(() => {
        sessions.delete(session);
        addStats(closedTotals, session.snapshot().stats);
      });
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
    totals() {
      const sum = { ...closedTotals };
      for (const session of sessions) addStats(sum, session.snapshot().stats);
      return sum;
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
