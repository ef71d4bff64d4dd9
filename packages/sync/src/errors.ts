import { RhizomeError, type RhizomeErrorOptions } from '@rhizome/core';

/**
 * Stable codes of sync errors. They travel on the wire in `error` messages, so a peer running
 * another implementation can match on them; never rename one.
 */
export const SyncErrorCode = {
  /** The peer speaks a protocol version this node does not. Fatal. */
  ProtocolVersionUnsupported: 'SYNC_PROTOCOL_VERSION_UNSUPPORTED',
  /** The peer's credentials were missing or rejected. Fatal. */
  AuthFailed: 'SYNC_AUTH_FAILED',
  /** A message arrived that the session state does not allow (e.g. a batch before hello). Fatal. */
  ProtocolViolation: 'SYNC_PROTOCOL_VIOLATION',
  /** A frame was not JSON or did not match any message schema. Counts as a strike. */
  FrameInvalid: 'SYNC_FRAME_INVALID',
  /** A frame was larger than the receiver's limit. Counts as a strike. */
  FrameTooLarge: 'SYNC_FRAME_TOO_LARGE',
  /** A batch held an invalid delta; none of the batch was stored. Counts as a strike. */
  BatchRejected: 'SYNC_BATCH_REJECTED',
  /** The peer passed the strike threshold and is disconnected. Fatal. */
  TooManyErrors: 'SYNC_TOO_MANY_ERRORS',
  /** The peer sent batches without credit or flooded the inbound queue. Fatal. */
  FlowControlViolation: 'SYNC_FLOW_CONTROL_VIOLATION',
  /** Frames went missing in transit (a gap in frame numbers that did not fill). Fatal. */
  SequenceGap: 'SYNC_SEQUENCE_GAP',
  /** No hello, or no pong, in time. Fatal. */
  Timeout: 'SYNC_TIMEOUT',
  /** Per-link filters are reserved in protocol v1 and not implemented yet. Fatal. */
  FilterUnsupported: 'SYNC_FILTER_UNSUPPORTED',
  /** A node connected to itself. Fatal. */
  SelfConnection: 'SYNC_SELF_CONNECTION',
  /** Another node uses this node's own node id (a different feed): they cannot link. Fatal. */
  NodeIdConflict: 'SYNC_NODE_ID_CONFLICT',
  /**
   * The peer did not take what this node sent: the link's transport buffer stayed over the
   * node's byte cap (`maxBufferedBytes`) for `stallTimeoutMs`, or passed its hard limit. Fatal.
   */
  PeerTooSlow: 'SYNC_PEER_TOO_SLOW',
  /**
   * Deltas of a batch fell outside what this node takes from the peer (its policy for the link:
   * creators, entities, schemas, negations). They were not stored; the rest of the batch was.
   * Not fatal, not a strike: the peer relays a feed it does not control.
   */
  DeltaRefused: 'SYNC_DELTA_REFUSED',
  /** The local store failed while serving the peer. Fatal for the session, not for the peer. */
  StoreFailed: 'SYNC_STORE_FAILED',
  /** The session was closed locally. */
  Closed: 'SYNC_CLOSED',
  /** A compact batch could not be decoded. */
  BatchInvalid: 'SYNC_BATCH_INVALID',
} as const;

export type SyncErrorCode = (typeof SyncErrorCode)[keyof typeof SyncErrorCode];

export type SyncError = RhizomeError<SyncErrorCode>;

export function createSyncError(
  code: SyncErrorCode,
  message: string,
  options: RhizomeErrorOptions = {},
): SyncError {
  return new RhizomeError(code, message, options);
}
