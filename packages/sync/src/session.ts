import { DELTA_ID_LENGTH, isRhizomeError, type Clock, type Delta } from '@rhizome/core';
import { computeAuthProof, createNonce, isSameProof } from './auth.ts';
import type { CatchUpGate, CatchUpTurn } from './catch-up-gate.ts';
import type { Channel } from './channel.ts';
import { createBatchEncoder, decodeBatch, type BatchEncoder, type EncodedBatch } from './codec.ts';
import { createSyncError, SyncErrorCode, type SyncError } from './errors.ts';
import { createIdSnapshot } from './fingerprint.ts';
import { arrayIdIndex, openStoreIdIndex, type IdIndex } from './id-index.ts';
import { computeFilterKey, isOwnDelta, listNegatedIds, matchesFilter, type DeltaFilter } from './filter.ts';
import { createFrameOrder } from './frame-order.ts';
import { createSendBuffer } from './send-buffer.ts';
import { listIdsWithPrefixes } from './prefix-lookup.ts';
import { admitDeltas, type RefusedDelta } from './admit-deltas.ts';
import type { PeerPolicy } from './peer-policy.ts';
import type { SyncLimits } from './limits.ts';
import {
  decodeFrame,
  encodeFrame,
  Feature,
  PROTOCOL_VERSION,
  type Hello,
  type Message,
  type OutboundMessage,
  type Range,
} from './messages.ts';
import { answerReconciliation, ID_PREFIX_LENGTH, startReconciliation } from './reconcile.ts';
import type { Scheduler } from './scheduler.ts';
import type { SyncStore } from './store.ts';
import { countUtf8Bytes } from './utf8.ts';

/** What a session needs from the node that owns it. */
export interface SessionContext {
  readonly nodeId: string;
  readonly store: SyncStore;
  readonly scheduler: Scheduler;
  readonly limits: SyncLimits;
  readonly clock?: Clock;
  /**
   * The secret shared with a peer. When set, every peer must prove it knows its secret before the
   * link opens, and a peer without one is refused; when absent, no proof is asked.
   */
  readonly secretFor?: (peerNodeId: string) => string | undefined | Promise<string | undefined>;
  /** Addresses to tell the peer about (peer exchange). */
  addresses(): readonly string[];
  /** The local feed head as last known (for the `head` field of batches). */
  localHead(): number;
  learnAddresses(addresses: readonly string[], from: string): void;
  /**
   * Shared by the node's sessions: while the store is empty, one of them at a time pulls a peer's
   * whole feed and the others wait. Without it, every session pulls from 0.
   */
  readonly catchUpGate?: CatchUpGate;
}

export interface SessionOptions {
  /** The peer's address, when this node dialled it (for the peer list). */
  readonly address?: string;
  /** Pull only deltas matching this from the peer (plus their negations, transitively). */
  readonly filter?: DeltaFilter;
  /** What this node takes from the peer; deltas outside are refused and reported on the link. */
  readonly policy?: PeerPolicy;
}

export type SessionState = 'handshaking' | 'open' | 'closed';
/** Where this node is in pulling the peer's data. */
export type PullPhase = 'waiting' | 'reconciling' | 'streaming';

export interface PeerIdentity {
  readonly nodeId: string;
  readonly feedId: string;
  /** The peer's feed head when it said hello. */
  readonly head: number;
}

export interface SessionStats {
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  duplicateFrames: number;
  batchesSent: number;
  deltasSent: number;
  batchesReceived: number;
  deltasReceived: number;
  /** Received deltas that were new to the store. */
  deltasStored: number;
  /** Received deltas refused by the link's policy (not stored). */
  deltasRefused: number;
  rejectedBatches: number;
  strikes: number;
  reconciliations: number;
  /** Relayed deltas sent by id only (lazy push). */
  idsAnnounced: number;
  /** Ids announced by the peer. */
  announcementsReceived: number;
  /** Announced ids this node lacked and asked for. */
  announcementsWanted: number;
}

export interface SessionSnapshot {
  readonly state: SessionState;
  readonly peer: PeerIdentity | undefined;
  readonly address: string | undefined;
  readonly pull: PullPhase;
  /** Last position of the peer's feed this node has stored. */
  readonly cursor: number | undefined;
  /** The peer's feed head as last reported (hello, then every batch). */
  readonly remoteHead: number | undefined;
  /** Batches this node may still send before the peer grants more. */
  readonly credit: number;
  /** Ids queued to send (reconciliation and wants); deltas themselves are read on demand. */
  readonly queuedIds: number;
  readonly lastError: { readonly code: string; readonly message: string } | undefined;
  readonly stats: Readonly<SessionStats>;
}

export interface Session {
  snapshot(): SessionSnapshot;
  /** Local deltas were appended: resume pushing if the peer has credit. */
  wake(): void;
  close(reason?: string): void;
  onClosed(listener: (reason: string) => void): void;
  /** Called once the handshake completed (at once if it has); never if the session closes first. */
  onOpened(listener: () => void): void;
}

const STRIKE_CODES = new Set<string>([
  SyncErrorCode.FrameInvalid,
  SyncErrorCode.FrameTooLarge,
  SyncErrorCode.BatchInvalid,
  SyncErrorCode.BatchRejected,
]);

const WANT_CHUNK = 1024;
/** Announcements after which lazy push checks how many the peer asked for. */
const LAZY_PROBE = 32;
/** Feed entries sent in full after a probe found the peer asking for most announcements. */
const LAZY_EAGER_SPAN = 16_384;
const MAX_CREDIT = 65_536;

/**
 * Lets I/O and other links run. An embedded store may answer from memory or WebAssembly without
 * ever leaving the microtask queue, so a chain of reads for one peer would otherwise starve the
 * node's sockets (its /healthz, its other links) until the chain ends.
 */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * One link's state machine. Both ends run the same code:
 *
 *   handshaking ──hello ok (and auth, with secrets)──▶ open ──error/close/timeout──▶ closed
 *
 * Once open, each end independently serves the other's pull (streams its feed from the peer's
 * cursor, only while it holds credit) and pulls the peer's feed (from its persisted cursor, or
 * after set reconciliation when it has none; an empty node's links take turns through the node's
 * catch-up gate). Inbound messages are handled strictly one at a time, in frame order.
 */
export function createSession(context: SessionContext, channel: Channel, options: SessionOptions = {}): Session {
  const { store, scheduler, limits } = context;
  const stats: SessionStats = {
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
  let state: SessionState = 'handshaking';
  let peer: PeerIdentity | undefined;
  let lastError: { code: string; message: string } | undefined;
  const closedListeners: ((reason: string) => void)[] = [];
  const openedListeners: (() => void)[] = [];
  const cancels = new Set<() => void>();

  // Frame ordering.
  let sentFrames = 0;
  const order = createFrameOrder<Message | null>();
  let cancelGapTimer: (() => void) | undefined;
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;

  // Serving the peer's pull.
  let credit = 0;
  let position: number | undefined;
  let extras: string[] = [];
  let pumping = false;
  // Feed entries read per batch (see sendNext).
  let readAhead = limits.maxBatchDeltas;
  let pumpAgain = false;
  // Ids taken off `extras` whose batch is not sent yet.
  let takingExtras = false;
  // The feed position the peer has been told about, and the pending idle update of it.
  let sentSeq = 0;
  let cancelAdvance: (() => void) | undefined;
  // What the peer asked to receive, and deltas known to pass it (a pass never reverts).
  let peerFilter: DeltaFilter | undefined;
  const passing = new Set<string>();
  // Negations already sent ahead of their place in the feed (bounded like `passing`).
  const sentNegations = new Set<string>();
  const filterKey = computeFilterKey(options.filter);
  // Whether the peer takes relayed deltas by id (it said so in its hello).
  let peerLazy = false;
  // Lazy push adapts to the link: announcements the peer keeps asking for mean this link is its
  // path to those deltas (a line, say), and bodies are then sent in full for a span of the feed.
  const probe = { announced: new Set<string>(), wanted: 0 };
  let eagerUntil = 0;

  // Pulling from the peer.
  let granted = 0;
  let pull: PullPhase = 'waiting';
  let cursor: number | undefined;
  let persisted: number | undefined;
  let remoteHead: number | undefined;
  let needReconcile = false;
  // Whether the peer's first subscribe asked for reconciliation (undefined: none arrived yet).
  let peerNeeds: boolean | undefined;
  // This session's place in the node's catch-up gate, and the peer's head it must reach to lead.
  let turn: CatchUpTurn | undefined;
  let catchUpTarget = 0;
  let cancelCatchUpWait: (() => void) | undefined;
  let snapshot: IdIndex | undefined;
  const wants = new Set<string>();
  let sentDone = false;
  const drainWaiters: (() => void)[] = [];
  // Lazy push: announced ids asked for and not received yet, each with the cursor its batch
  // started from. The cursor is persisted no further than the oldest such floor, so a link that
  // drops before the answers arrive resumes from before the announcement and hears it again.
  interface Announced {
    readonly floor: number;
    outstanding: number;
  }
  const announced = new Map<string, Announced>();
  const announcedQueue: Announced[] = [];

  let awaitingPong: number | undefined;
  let pingNonce = 0;
  const nonce = createNonce();
  let peerHello: Hello | undefined;
  let expectedProof: string | undefined;

  const timer = (delayMs: number, task: () => void): (() => void) => {
    const cancel = scheduler.schedule(delayMs, () => {
      cancels.delete(cancel);
      task();
    });
    cancels.add(cancel);
    return () => {
      cancels.delete(cancel);
      cancel();
    };
  };

  const sendBuffer = createSendBuffer({
    channel,
    scheduler,
    maxBufferedBytes: limits.maxBufferedBytes,
    stallTimeoutMs: limits.stallTimeoutMs,
    hardLimitBytes: 2 * limits.maxBufferedBytes + limits.maxFrameBytes,
    timer,
    onDrained: () => {
      if (state === 'open') void pump();
    },
    onStalled: (message) => fail(createSyncError(SyncErrorCode.PeerTooSlow, message)),
  });

  const send = (message: OutboundMessage): void => {
    if (state === 'closed') return;
    transmit(encodeFrame({ ...message, n: ++sentFrames } as Message));
  };

  const transmit = (frame: string): void => {
    if (!sendBuffer.admit()) return;
    stats.framesSent++;
    stats.bytesSent += countUtf8Bytes(frame);
    try {
      channel.send(frame);
    } catch (error) {
      shutdown(SyncErrorCode.Closed, error);
    }
  };

  const shutdown = (reason: string, cause?: unknown): void => {
    if (state === 'closed') return;
    state = 'closed';
    if (lastError === undefined && reason !== SyncErrorCode.Closed) {
      lastError = { code: reason, message: cause instanceof Error ? cause.message : reason };
    }
    for (const cancel of [...cancels]) cancel();
    cancels.clear();
    turn?.leave();
    turn = undefined;
    try {
      channel.close(reason);
    } catch {
      // Already closed underneath; nothing left to release.
    }
    for (const listener of closedListeners.splice(0)) listener(reason);
  };

  /** Tells the peer why, then closes. */
  const fail = (error: SyncError): void => {
    if (state === 'closed') return;
    lastError = { code: error.code, message: error.message };
    send({
      t: 'error',
      code: error.code,
      message: error.message,
      fatal: true,
      ...(error.details === undefined ? {} : { details: error.details }),
    });
    shutdown(error.code, error);
  };

  const strike = (error: SyncError): void => {
    stats.strikes++;
    lastError = { code: error.code, message: error.message };
    if (stats.strikes >= limits.maxStrikes) {
      fail(createSyncError(SyncErrorCode.TooManyErrors, `disconnected after ${stats.strikes} invalid frames or batches; last: ${error.message}`));
      return;
    }
    send({
      t: 'error',
      code: error.code,
      message: error.message,
      fatal: false,
      ...(error.details === undefined ? {} : { details: error.details }),
    });
  };

  const handleFailure = (error: unknown): void => {
    if (isRhizomeError(error) && STRIKE_CODES.has(error.code)) strike(error as SyncError);
    else if (isRhizomeError(error) && error.code.startsWith('SYNC_')) fail(error as SyncError);
    else fail(createSyncError(SyncErrorCode.StoreFailed, `local failure: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
  };

  // ── inbound ────────────────────────────────────────────────────────────────────────────────

  const enqueue = (message: Message | null): void => {
    if (message === null) return;
    // Credit is charged on arrival, not when handled, so batches waiting behind a slow store
    // count too: a peer can never have more than `window` batches queued here.
    if (message.t === 'batch') {
      if (granted <= 0) {
        fail(createSyncError(SyncErrorCode.FlowControlViolation, 'batch sent without credit'));
        return;
      }
      granted--;
    }
    if (++queued > limits.maxInboundQueue) {
      fail(createSyncError(SyncErrorCode.FlowControlViolation, `more than ${limits.maxInboundQueue} messages waiting`));
      return;
    }
    chain = chain
      .then(() => (state === 'closed' ? undefined : handle(message)))
      .catch(handleFailure)
      .finally(() => {
        queued--;
      });
  };

  const accept = (n: number, message: Message | null): void => {
    const ready = order.accept(n, message);
    if (ready === 'duplicate') {
      stats.duplicateFrames++;
      return;
    }
    for (const next of ready) enqueue(next);
    if (order.held > limits.reorderWindow) {
      fail(createSyncError(SyncErrorCode.SequenceGap, `frame ${order.expected} missing with ${order.held} frames held`));
    } else if (order.held === 0) {
      cancelGapTimer?.();
      cancelGapTimer = undefined;
    } else if (cancelGapTimer === undefined) {
      cancelGapTimer = timer(limits.gapTimeoutMs, () => {
        cancelGapTimer = undefined;
        if (order.held > 0) fail(createSyncError(SyncErrorCode.SequenceGap, `frame ${order.expected} never arrived`));
      });
    }
  };

  const receive = (frame: string): void => {
    if (state === 'closed') return;
    stats.framesReceived++;
    stats.bytesReceived += countUtf8Bytes(frame);
    let message: Message;
    try {
      message = decodeFrame(frame, limits.maxFrameBytes);
    } catch (error) {
      const details = isRhizomeError(error) ? (error.details as { n?: number } | undefined) : undefined;
      // A bad frame still uses up its number, so it does not look like a gap afterwards.
      accept(details?.n ?? order.expected, null);
      handleFailure(error);
      return;
    }
    accept(message.n, message);
  };

  const handle = async (message: Message): Promise<void> => {
    if (state === 'handshaking' && message.t !== 'hello' && message.t !== 'auth') {
      if (message.t === 'error') return onError(message);
      if (expectedProof !== undefined) throw createSyncError(SyncErrorCode.AuthFailed, `"${message.t}" instead of auth`);
      throw createSyncError(SyncErrorCode.ProtocolViolation, `"${message.t}" before hello`);
    }
    switch (message.t) {
      case 'hello':
        return onHello(message);
      case 'auth':
        return onAuth(message.proof);
      case 'error':
        return onError(message);
      case 'credit':
        credit += message.grant;
        // The peer picks its own window; this only stops a counter from growing without bound.
        if (credit > MAX_CREDIT) {
          throw createSyncError(SyncErrorCode.FlowControlViolation, `credit of ${credit} batches is implausible`);
        }
        void pump();
        return;
      case 'subscribe':
        return onSubscribe(message.from);
      case 'batch':
        if (message.head !== undefined) remoteHead = Math.max(remoteHead ?? 0, message.head);
        return onBatch(message.d, message.seq, message.h);
      case 'want':
        return onWant(message.ids);
      case 'reconcile':
        return onReconcile(message.ranges);
      case 'ping':
        send({ t: 'pong', nonce: message.nonce });
        return;
      case 'pong':
        if (message.nonce === awaitingPong) awaitingPong = undefined;
        return;
      case 'peers':
        context.learnAddresses(message.addresses, peer!.nodeId);
        return;
    }
  };

  const onWant = async (requested: readonly string[]): Promise<void> => {
    if (extras.length + requested.length > limits.maxPendingIds) {
      throw createSyncError(SyncErrorCode.FlowControlViolation, `more than ${limits.maxPendingIds} ids requested`);
    }
    const prefixes: string[] = [];
    for (const id of requested) {
      if (id.length === DELTA_ID_LENGTH) {
        extras.push(id);
        if (probe.announced.delete(id)) probe.wanted++;
      } else prefixes.push(id);
    }
    if (prefixes.length > 0) {
      extras.push(
        ...(await listIdsWithPrefixes(store, prefixes, {
          estimatedIds: context.localHead(),
          idsPerRead: limits.prefixIdsPerRead,
          yieldTurn: yieldToEventLoop,
        })),
      );
    }
    void pump();
  };

  const onError = (message: Extract<Message, { t: 'error' }>): void => {
    lastError = { code: message.code, message: `peer: ${message.message}` };
    if (message.fatal) shutdown(message.code);
  };

  const onHello = async (hello: Hello): Promise<void> => {
    if (state !== 'handshaking') throw createSyncError(SyncErrorCode.ProtocolViolation, 'second hello');
    if (hello.protocol !== PROTOCOL_VERSION) {
      throw createSyncError(
        SyncErrorCode.ProtocolVersionUnsupported,
        `peer speaks sync protocol ${hello.protocol}; this node speaks ${PROTOCOL_VERSION}`,
        { details: { supported: [PROTOCOL_VERSION] } },
      );
    }
    if (hello.node === context.nodeId) {
      // The same id and the same feed is this node dialling itself; another feed is another
      // node that was given (or defaulted to, through the host name) this node's id.
      if (hello.feed.id === (await store.feedId())) throw createSyncError(SyncErrorCode.SelfConnection, 'a node connected to itself');
      throw createSyncError(
        SyncErrorCode.NodeIdConflict,
        `the peer uses this node's own node id "${context.nodeId}": give each node its own id (RHIZOME_NODE_ID)`,
      );
    }
    if (hello.filter !== undefined && store.negationsOf === undefined) {
      throw createSyncError(SyncErrorCode.FilterUnsupported, 'this node\'s store cannot serve filtered links');
    }
    peerHello = hello;
    peerLazy = hello.features?.includes(Feature.LazyPush) === true;
    if (context.secretFor !== undefined) {
      const secret = await context.secretFor(hello.node);
      if (secret === undefined) throw createSyncError(SyncErrorCode.AuthFailed, `no shared secret for ${hello.node}`);
      send({ t: 'auth', proof: computeAuthProof(secret, hello.nonce, context.nodeId) });
      // Open only once the peer has proved the same secret against our nonce.
      expectedProof = computeAuthProof(secret, nonce, hello.node);
      return;
    }
    await open(hello);
  };

  const onAuth = async (proof: string): Promise<void> => {
    // A peer may prove itself to a node that asks for no proof; that is not an error.
    if (expectedProof === undefined) return;
    if (state !== 'handshaking' || peerHello === undefined) throw createSyncError(SyncErrorCode.ProtocolViolation, 'auth before hello');
    if (!isSameProof(proof, expectedProof)) throw createSyncError(SyncErrorCode.AuthFailed, `${peerHello.node} does not know the shared secret`);
    expectedProof = undefined;
    await open(peerHello);
  };

  const open = async (hello: Hello): Promise<void> => {
    peer = { nodeId: hello.node, feedId: hello.feed.id, head: hello.feed.head };
    remoteHead = Math.max(remoteHead ?? 0, hello.feed.head);
    state = 'open';
    for (const listener of openedListeners.splice(0)) listener();
    schedulePing();
    granted += limits.window;
    send({ t: 'credit', grant: limits.window });
    const addresses = context.addresses();
    if (addresses.length > 0) send({ t: 'peers', addresses: addresses.slice(0, 64) });

    peerFilter = hello.filter;
    await decidePull(true);
  };

  /**
   * How to pull the peer's feed: the table under "Open" in docs/sync-protocol.md. `gated`: an empty
   * store waits its turn in the node's catch-up gate (see joinCatchUp); off once a wait timed out.
   */
  const decidePull = async (gated: boolean): Promise<void> => {
    const saved = await store.getCursor(peer!.nodeId);
    const filtered = options.filter !== undefined || peerFilter !== undefined;
    const leading = turn?.leader === true;
    if (leading) catchUpTarget = remoteHead ?? peer!.head;
    if (saved !== undefined && saved.feedId === peer!.feedId && (saved.filter ?? '') === filterKey) {
      startStreaming(saved.seq);
      persisted = saved.seq;
    } else if (peer!.head === 0) {
      // Nothing to pull yet: a plain pull from the start re-sends nothing.
      startStreaming(0);
    } else if ((await store.head()) === 0) {
      if (!leading && gated && !filtered && limits.catchUpGateMs > 0 && context.catchUpGate !== undefined) {
        joinCatchUp(context.catchUpGate);
      } else {
        startStreaming(0);
      }
    } else if (filtered) {
      // Reconciliation compares whole id sets, which a filtered side does not hold; a filtered
      // link pulls its (filtered) feed from the start instead.
      startStreaming(0);
    } else {
      needReconcile = true;
      pull = 'reconciling';
      send({ t: 'subscribe' });
      // Deciding late (after the gate), the peer's subscribe may already have come and gone.
      if (peerNeeds !== undefined) await leadReconciliation();
    }
    checkCaughtUp();
  };

  /**
   * Pulling the whole feed over every link of an empty node would download the history once per
   * peer. The first such link leads; the others wait until it has caught up with its peer, then
   * decide again, by then reconciling against a store that holds what the peer holds. A leader
   * that closes first hands the lead to the longest waiter, which pulls what is still missing
   * (reconciling, when the store is no longer empty) while the rest wait on. No wait lasts longer
   * than `catchUpGateMs`.
   */
  const joinCatchUp = (gate: CatchUpGate): void => {
    turn = gate.enter((leads) => {
      cancelCatchUpWait?.();
      cancelCatchUpWait = undefined;
      if (!leads) turn = undefined;
      decideAgain(true);
    });
    if (turn.leader) {
      catchUpTarget = remoteHead ?? peer!.head;
      startStreaming(0);
      return;
    }
    pull = 'waiting';
    cancelCatchUpWait = timer(limits.catchUpGateMs, () => {
      cancelCatchUpWait = undefined;
      turn?.leave();
      turn = undefined;
      // A stalled leader: stop waiting for it, even if that means a second full pull.
      decideAgain(false);
    });
  };

  const decideAgain = (gated: boolean): void => {
    chain = chain
      .then(() => (state === 'open' ? decidePull(gated) : undefined))
      .catch(handleFailure);
  };

  /**
   * The leader has caught up once its cursor reaches the peer's head as known when it took the
   * lead, and every delta it asked for (reconciliation, announcements) has arrived.
   */
  const checkCaughtUp = (): void => {
    if (turn?.leader !== true || pull !== 'streaming' || (cursor ?? 0) < catchUpTarget) return;
    if (wants.size > 0 || announced.size > 0) return;
    turn.finish();
    turn = undefined;
  };

  const startStreaming = (from: number): void => {
    pull = 'streaming';
    cursor = Math.max(cursor ?? 0, from);
    send({ t: 'subscribe', from });
  };

  const onSubscribe = async (from: number | undefined): Promise<void> => {
    const first = peerNeeds === undefined;
    if (first) peerNeeds = from === undefined;
    if (from !== undefined) {
      position = from;
      sentSeq = from;
      void pump();
    }
    if (first) await leadReconciliation();
  };

  // The ids a reconciliation reads: a block summary over storage when the store can page its
  // ids (no per-delta memory), else every id, as a store without paging must.
  const openIds = async (): Promise<IdIndex> =>
    store.scanIds === undefined
      ? arrayIdIndex(createIdSnapshot(await store.listIds()))
      : openStoreIdIndex(store.scanIds.bind(store), (lower, upper) =>
          store.listIds(lower, upper ?? undefined),
        );

  /** One conversation settles both sides; when both lack a cursor the smaller node id leads. */
  const leadReconciliation = async (): Promise<void> => {
    if (!needReconcile || snapshot !== undefined || (peerNeeds === true && context.nodeId > peer!.nodeId)) return;
    stats.reconciliations++;
    snapshot = await openIds();
    send({ t: 'reconcile', ranges: await startReconciliation(snapshot, limits.reconcile) });
  };

  /**
   * The conversation ends with an empty reconcile in each direction, each sent only once all
   * deltas its sender queued for the peer have gone out. Frames are ordered, so a side that
   * receives the empty message holds every delta pushed to it (what it asked for is tracked in
   * `wants`), and only then may it trust the peer's head as its cursor.
   */
  const onReconcile = async (ranges: readonly Range[]): Promise<void> => {
    if (ranges.length === 0) {
      if (!sentDone) afterExtrasSent(() => send({ t: 'reconcile', ranges: [] }));
      sentDone = false;
      return finishReconciliation();
    }
    if (snapshot === undefined) {
      stats.reconciliations++;
      snapshot = await openIds();
    }
    const step = await answerReconciliation(snapshot, ranges, limits.reconcile);
    if (extras.length + step.theyLack.length > limits.maxPendingIds) {
      throw createSyncError(SyncErrorCode.FlowControlViolation, 'reconciliation found more differences than this node queues');
    }
    extras.push(...step.theyLack);
    for (const id of step.weLack) wants.add(id);
    for (let i = 0; i < step.weLack.length; i += WANT_CHUNK) {
      send({ t: 'want', ids: step.weLack.slice(i, i + WANT_CHUNK) });
    }
    if (step.ranges.length > 0) send({ t: 'reconcile', ranges: step.ranges });
    else {
      sentDone = true;
      afterExtrasSent(() => send({ t: 'reconcile', ranges: [] }));
    }
    void pump();
  };

  const afterExtrasSent = (task: () => void): void => {
    drainWaiters.push(task);
    checkDrained();
  };

  const checkDrained = (): void => {
    if (extras.length > 0 || takingExtras || state !== 'open') return;
    for (const task of drainWaiters.splice(0)) task();
  };

  const finishReconciliation = async (): Promise<void> => {
    snapshot = undefined;
    if (!needReconcile) return;
    needReconcile = false;
    // Everything up to the peer's head at hello was covered by the conversation; wanted deltas
    // still in flight hold back the cursor until they are stored (see persistCursor).
    startStreaming(peer!.head);
    await persistCursor();
    checkCaughtUp();
  };

  const persistCursor = async (): Promise<void> => {
    if (pull !== 'streaming' || wants.size > 0 || cursor === undefined) return;
    while (announcedQueue.length > 0 && announcedQueue[0]!.outstanding === 0) announcedQueue.shift();
    const seq = announcedQueue.length === 0 ? cursor : Math.min(cursor, announcedQueue[0]!.floor);
    if (persisted !== undefined && seq <= persisted) return;
    await store.setCursor(peer!.nodeId, filterKey === '' ? { feedId: peer!.feedId, seq } : { feedId: peer!.feedId, seq, filter: filterKey });
    persisted = Math.max(persisted ?? 0, seq);
  };

  const onBatch = async (encoded: EncodedBatch, seq: number | undefined, ids: readonly string[] | undefined): Promise<void> => {
    stats.batchesReceived++;
    let deltas: Delta[];
    try {
      deltas = decodeBatch(encoded);
    } catch (error) {
      stats.rejectedBatches++;
      grant();
      throw error;
    }
    if (context.clock !== undefined) {
      for (const delta of deltas) {
        try {
          context.clock.observe(delta.timeCreated);
        } catch {
          // A delta far in the future is still valid data; it just must not drag our clock along.
        }
      }
    }
    const { admitted, refused } = options.policy === undefined ? { admitted: deltas, refused: [] } : await admitDeltas(options.policy, deltas, store);
    if (refused.length > 0) reportRefused(refused);
    const stored = admitted.length === 0 ? [] : await store.appendBatch(admitted, { origin: peer!.nodeId });
    stats.deltasReceived += deltas.length;
    stats.deltasStored += stored.length;
    for (const delta of deltas) {
      wants.delete(delta.id.slice(0, ID_PREFIX_LENGTH));
      const pending = announced.get(delta.id);
      if (pending !== undefined) {
        announced.delete(delta.id);
        pending.outstanding--;
      }
    }
    if (ids !== undefined && ids.length > 0) await onAnnounced(ids, seq);
    if (seq !== undefined && pull === 'streaming') cursor = Math.max(cursor ?? 0, seq);
    await persistCursor();
    checkCaughtUp();
    grant();
  };

  /** Refused deltas are not an error of the peer's (it relays a feed): reported, not a strike. */
  const reportRefused = (refused: readonly RefusedDelta[]): void => {
    stats.deltasRefused += refused.length;
    const reasons = refused.slice(0, 16).map(({ delta, reason }) => ({ id: delta.id, reason }));
    const message = `${refused.length} delta(s) refused by this node's policy for the link; first: ${reasons[0]!.reason}`;
    lastError = { code: SyncErrorCode.DeltaRefused, message };
    send({ t: 'error', code: SyncErrorCode.DeltaRefused, message, fatal: false, details: { refused: reasons, count: refused.length } });
  };

  /** Asks for the announced deltas this node lacks (the answer comes as an ordinary batch). */
  const onAnnounced = async (ids: readonly string[], seq: number | undefined): Promise<void> => {
    stats.announcementsReceived += ids.length;
    if (seq === undefined || pull !== 'streaming') {
      throw createSyncError(SyncErrorCode.ProtocolViolation, 'announced ids outside the feed stream');
    }
    const held = new Set((await store.getMany(ids)).map((delta) => delta.id));
    const missing = ids.filter((id) => !held.has(id) && !announced.has(id));
    if (missing.length === 0) return;
    if (announced.size + missing.length > limits.maxPendingIds) {
      throw createSyncError(SyncErrorCode.FlowControlViolation, `more than ${limits.maxPendingIds} announced deltas outstanding`);
    }
    const record: Announced = { floor: cursor ?? 0, outstanding: missing.length };
    announcedQueue.push(record);
    for (const id of missing) announced.set(id, record);
    stats.announcementsWanted += missing.length;
    for (let i = 0; i < missing.length; i += WANT_CHUNK) send({ t: 'want', ids: missing.slice(i, i + WANT_CHUNK) });
  };

  const grant = (): void => {
    granted++;
    send({ t: 'credit', grant: 1 });
  };

  // ── outbound ───────────────────────────────────────────────────────────────────────────────

  const pump = async (): Promise<void> => {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        while (state === 'open' && credit > 0) {
          // Credit is the peer's promise; the buffered bytes are what it has really not taken.
          if (sendBuffer.isFull()) break;
          if (!(await sendNext())) break;
        }
      } while (pumpAgain && state === 'open' && credit > 0);
    } catch (error) {
      handleFailure(error);
    } finally {
      pumping = false;
    }
    scheduleAdvance();
  };

  /**
   * At the live edge, entries that came from this peer are skipped without a batch, so the peer's
   * cursor would stay behind them — and a peer whose only news from us is its own deltas would
   * never get a cursor at all, and reconcile on every reconnect. Once the link has been idle a
   * while, an empty batch carries the position over; at most one per `idleAdvanceMs`.
   */
  const scheduleAdvance = (): void => {
    if (cancelAdvance !== undefined || position === undefined || position <= sentSeq || state !== 'open') return;
    cancelAdvance = timer(limits.idleAdvanceMs, () => {
      cancelAdvance = undefined;
      if (state !== 'open' || pumping || credit <= 0 || position === undefined || position <= sentSeq) return;
      sendBatch(createBatchEncoder({ maxBytes: limits.maxBatchBytes }), position);
    });
  };

  const sendBatch = (encoder: BatchEncoder, seq: number | undefined, ids: readonly string[] = []): void => {
    credit--;
    if (seq !== undefined) sentSeq = Math.max(sentSeq, seq);
    stats.batchesSent++;
    stats.deltasSent += encoder.count;
    stats.idsAnnounced += ids.length;
    if (state === 'closed') return;
    // Built from the encoder's row text: stringifying the batch again would double the sender's work.
    // Ids are base64url, so they need no escaping.
    const announcedText = ids.length === 0 ? '' : `,"h":["${ids.join('","')}"]`;
    const frame = `{"n":${++sentFrames},"t":"batch",${seq === undefined ? '' : `"seq":${seq},`}"head":${context.localHead()},"d":${encoder.finishText()}${announcedText}}`;
    transmit(frame);
  };

  const sendNext = async (): Promise<boolean> => {
    const encoder = createBatchEncoder({ maxBytes: limits.maxBatchBytes, maxDeltas: limits.maxBatchDeltas });
    if (extras.length > 0) {
      const taken = extras.splice(0, limits.maxBatchDeltas);
      takingExtras = true;
      try {
        const deltas = await store.getMany(taken);
        let added = 0;
        while (added < deltas.length && encoder.add(deltas[added]!)) added++;
        if (added < deltas.length) extras = [...deltas.slice(added).map((delta) => delta.id), ...extras];
        if (state !== 'open') return false;
        if (encoder.count > 0) sendBatch(encoder, undefined);
      } finally {
        takingExtras = false;
      }
      checkDrained();
      return true;
    }
    if (position === undefined) return false;
    const from = position;
    // Large deltas fill a batch's bytes long before its delta count: read about what fitted last
    // time (doubling while pages fit whole), not a full page of which most would be thrown away.
    const entries = await store.changesSince(from, readAhead);
    // A resubscribe while reading moves the position; start over from the new one.
    if (position !== from || state !== 'open') return state === 'open';
    if (entries.length === 0) return false;
    let last = from;
    if (probe.announced.size + probe.wanted >= LAZY_PROBE) {
      // Wants still in flight count as not wanted: the verdict leans to lazy.
      if (probe.wanted * 2 > LAZY_PROBE) eagerUntil = from + LAZY_EAGER_SPAN;
      probe.announced.clear();
      probe.wanted = 0;
    }
    // Near the live edge, deltas relayed from a third node go by id: in a mesh the peer has
    // usually had them from their origin already. Far behind (catch-up), bodies are faster.
    const lazy = peerLazy && peerFilter === undefined && from >= eagerUntil && context.localHead() - from <= limits.lazyPushLag;
    const ids: string[] = [];
    for (const entry of entries) {
      const echo = entry.origin === peer!.nodeId;
      if (peerFilter === undefined) {
        // Never echo a delta to the peer it came from; the cursor still moves past it.
        if (echo) {
          // Skipped.
        } else if (lazy && entry.origin !== undefined) {
          if (encoder.bytes + (ids.length + 1) * (DELTA_ID_LENGTH + 3) > limits.maxBatchBytes) break;
          ids.push(entry.delta.id);
          probe.announced.add(entry.delta.id);
        } else if (!encoder.add(entry.delta)) break;
      } else {
        const sent = await passes(peerFilter, entry.delta, 0);
        // The puller's own deltas, and those it sent here, are not sent back; their negations are.
        const own = !sent && (echo || isOwnDelta(peerFilter, entry.delta));
        if (sent || own) {
          // A negation stored before what it negates was skipped when its turn came; it travels
          // now, in the same batch, so the cursor never moves past a delta without its negations.
          const early = sentNegations.has(entry.delta.id);
          const negations = await collectNegations(entry.delta.id);
          const self = echo || early || own;
          if (!encoder.addAll([...(self ? [] : [entry.delta]), ...negations])) break;
          for (const negation of negations) sentNegations.add(negation.id);
          // A negation sent in its own place must not travel again with a target that comes later.
          if (!self && listNegatedIds(entry.delta).length > 0) sentNegations.add(entry.delta.id);
        }
      }
      last = entry.seq;
    }
    if (position !== from || state !== 'open') return state === 'open';
    const read = entries.findIndex((entry) => entry.seq === last) + 1;
    readAhead = read >= entries.length ? Math.min(limits.maxBatchDeltas, readAhead * 2) : Math.max(1, read + 1);
    position = last;
    // A page made only of the peer's own deltas is worth a cursor update while catching up; at
    // the live edge the next real batch, or the idle update (scheduleAdvance), carries it along.
    if (encoder.count > 0 || ids.length > 0 || entries.length === limits.maxBatchDeltas) sendBatch(encoder, last, ids);
    return true;
  };

  /**
   * Whether a delta belongs to what a filtered peer receives: it matches, or negates one that does
   * or one of the peer's own (which the peer holds without being sent it).
   */
  const passes = async (filter: DeltaFilter, delta: Delta, depth: number): Promise<boolean> => {
    if (passing.has(delta.id) || matchesFilter(filter, delta)) return remember(delta.id);
    if (depth > 0 && isOwnDelta(filter, delta)) return true;
    const targets = listNegatedIds(delta);
    // Negation chains are short; the bound only stops a pathological store from recursing on.
    if (targets.length === 0 || depth > 64) return false;
    for (const target of await store.getMany(targets)) {
      if (await passes(filter, target, depth + 1)) return remember(delta.id);
    }
    return false;
  };

  const remember = (id: string): true => {
    if (passing.size > 100_000) passing.clear();
    if (sentNegations.size > 100_000) sentNegations.clear();
    passing.add(id);
    return true;
  };

  /** Negations (transitively) of a delta the filtered peer receives, not sent on this link yet. */
  const collectNegations = async (id: string): Promise<Delta[]> => {
    const found: Delta[] = [];
    let frontier = [id];
    while (frontier.length > 0) {
      const ids = (await store.negationsOf!(frontier)).filter((negation) => !sentNegations.has(negation));
      for (const negation of ids) passing.add(negation);
      const deltas = await store.getMany(ids);
      found.push(...deltas);
      frontier = deltas.map((delta) => delta.id);
    }
    return found;
  };

  // ── liveness ───────────────────────────────────────────────────────────────────────────────

  const schedulePing = (): void => {
    timer(limits.pingIntervalMs, () => {
      if (state !== 'open') return;
      if (awaitingPong !== undefined) {
        fail(createSyncError(SyncErrorCode.Timeout, `no pong within ${limits.pingIntervalMs} ms`));
        return;
      }
      awaitingPong = ++pingNonce;
      send({ t: 'ping', nonce: awaitingPong });
      schedulePing();
    });
  };

  timer(limits.handshakeTimeoutMs, () => {
    if (state === 'handshaking') fail(createSyncError(SyncErrorCode.Timeout, `handshake not complete within ${limits.handshakeTimeoutMs} ms`));
  });

  channel.onMessage(receive);
  channel.onClose((info) => shutdown(info.reason));

  // Frames that arrive before our own hello is out wait behind it in the chain.
  chain = (async () => {
    const [feedId, head] = await Promise.all([store.feedId(), store.head()]);
    send({
      t: 'hello',
      protocol: PROTOCOL_VERSION,
      node: context.nodeId,
      feed: { id: feedId, head },
      nonce,
      ...(options.filter === undefined ? {} : { filter: options.filter }),
      // A filtered pull is served in full: the server's filter path sends bodies only.
      ...(limits.lazyPush && options.filter === undefined ? { features: [Feature.LazyPush] } : {}),
    });
  })().catch(handleFailure);

  return {
    snapshot() {
      return {
        state,
        peer,
        address: options.address,
        pull,
        cursor,
        remoteHead,
        credit,
        queuedIds: extras.length,
        lastError,
        stats: { ...stats },
      };
    },
    wake() {
      if (state === 'open') void pump();
    },
    close(reason = SyncErrorCode.Closed) {
      shutdown(reason);
    },
    onClosed(listener) {
      if (state === 'closed') listener(lastError?.code ?? SyncErrorCode.Closed);
      else closedListeners.push(listener);
    },
    onOpened(listener) {
      if (state === 'open') listener();
      else if (state === 'handshaking') openedListeners.push(listener);
    },
  };
}
