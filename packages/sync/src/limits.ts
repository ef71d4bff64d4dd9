import { defaultReconcileOptions, type ReconcileOptions } from './reconcile.ts';

/** Tunables of a session. Defaults suit a WebSocket between datacentres; tests shrink the timers. */
export interface SyncLimits {
  /** Byte budget of one encoded delta batch. */
  readonly maxBatchBytes: number;
  /** Deltas in one batch. */
  readonly maxBatchDeltas: number;
  /** Largest inbound frame accepted. */
  readonly maxFrameBytes: number;
  /** Batches the peer may have in flight towards this node (the credit window). */
  readonly window: number;
  /**
   * Bytes one link's transport may hold unsent (WebSocket `bufferedAmount`) before this node stops
   * sending batches to it, whatever credit the peer granted. A stalled puller costs about this much.
   */
  readonly maxBufferedBytes: number;
  /** How long a link may stay over `maxBufferedBytes` before it is dropped (`SYNC_PEER_TOO_SLOW`). */
  readonly stallTimeoutMs: number;
  /** Invalid frames or batches tolerated before the peer is disconnected. */
  readonly maxStrikes: number;
  /** Inbound messages waiting to be processed before the peer counts as flooding. */
  readonly maxInboundQueue: number;
  /** Ids the peer may have asked for (want) and not yet received. */
  readonly maxPendingIds: number;
  /**
   * Id-prefix look-ups (`want` with prefixes) read the store in ranges covering nearby prefixes at
   * once; this many ids, by estimate, per read at most. Between reads the session yields.
   */
  readonly prefixIdsPerRead: number;
  /** Out-of-order frames held while waiting for a missing one. */
  readonly reorderWindow: number;
  /** How long a gap in frame numbers may stay open before the link counts as lossy. */
  readonly gapTimeoutMs: number;
  /** Interval of liveness pings; a ping unanswered by the next one closes the link. */
  readonly pingIntervalMs: number;
  readonly handshakeTimeoutMs: number;
  /** Idle time after which a feed position moved only by the peer's own deltas is sent anyway. */
  readonly idleAdvanceMs: number;
  /**
   * Lazy push: near the live edge, deltas this node relayed from a third node are announced to
   * peers by id, and a peer asks for the ones it lacks, so in a mesh each delta body crosses about
   * one link per node instead of every link. Off: every delta travels in full on every link.
   */
  readonly lazyPush: boolean;
  /** How far behind the feed head (in entries) a peer may be and still get relayed deltas by id. */
  readonly lazyPushLag: number;
  /**
   * A node with an empty store pulls a peer's whole feed over one link at a time; its other links
   * wait for that one to catch up, then reconcile. This bounds the wait, so a stalled leader cannot
   * hold them back for longer. 0 turns the gate off: every link of an empty node pulls from the start.
   */
  readonly catchUpGateMs: number;
  readonly reconcile: ReconcileOptions;
}

export const defaultSyncLimits: SyncLimits = {
  maxBatchBytes: 256 * 1024,
  maxBatchDeltas: 512,
  maxFrameBytes: 4 * 1024 * 1024,
  window: 4,
  maxBufferedBytes: 1024 * 1024,
  stallTimeoutMs: 30_000,
  maxStrikes: 3,
  maxInboundQueue: 1024,
  maxPendingIds: 262_144,
  prefixIdsPerRead: 4_096,
  reorderWindow: 256,
  gapTimeoutMs: 2_000,
  pingIntervalMs: 15_000,
  handshakeTimeoutMs: 10_000,
  idleAdvanceMs: 1_000,
  lazyPush: true,
  lazyPushLag: 1_024,
  catchUpGateMs: 30_000,
  reconcile: defaultReconcileOptions,
};
