import { RhizomeError, type RhizomeErrorOptions } from '@rhizome/core';

/** Stable codes of the errors the API layer raises itself. Match on `code`, not `instanceof`. */
export const ApiErrorCode = {
  /** No credentials, or credentials the node does not know. */
  Unauthenticated: 'UNAUTHENTICATED',
  /** The credentials lack the scope the operation needs. */
  Forbidden: 'FORBIDDEN',
  /** An open node was addressed by a host name that is not loopback (DNS rebinding). */
  HostNotAllowed: 'HOST_NOT_ALLOWED',
  /** A state-changing request from a web origin not listed in RHIZOME_CORS_ORIGINS. */
  OriginNotAllowed: 'ORIGIN_NOT_ALLOWED',
  /** A token tried to write as a creator other than its own. */
  CreatorMismatch: 'CREATOR_MISMATCH',
  /** The request itself is malformed (bad JSON, bad parameter). */
  InvalidRequest: 'INVALID_REQUEST',
  /** The route exists but not for this HTTP method (a tRPC mutation sent as GET). */
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  /** The body is not `application/json`. */
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  /** The request body is over the configured limit. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  DeltaNotFound: 'DELTA_NOT_FOUND',
  EntityNotFound: 'ENTITY_NOT_FOUND',
  SchemaNotFound: 'SCHEMA_NOT_FOUND',
  RouteNotFound: 'ROUTE_NOT_FOUND',
  /** A subscriber fell further behind than its buffer allows and was dropped. */
  SubscriberTooSlow: 'SUBSCRIBER_TOO_SLOW',
  /** The node serves no more subscriptions of this kind right now. */
  TooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  /** This node runs without sync, so it has no peers to list or add. */
  SyncDisabled: 'SYNC_DISABLED',
  /** The peer address is already linked. */
  PeerExists: 'PEER_EXISTS',
  /** The address is not a peer this node dials. */
  PeerNotFound: 'PEER_NOT_FOUND',
  /** The peer comes from RHIZOME_PEERS: remove it there, not through the API. */
  PeerConfigured: 'PEER_CONFIGURED',
  /** A sorted query would scan more candidates than the node's `maxSortedCandidates`. */
  QueryTooBroad: 'QUERY_TOO_BROAD',
  /** The node is shutting down (or not started) and takes no new work. */
  NodeUnavailable: 'NODE_UNAVAILABLE',
  Internal: 'INTERNAL',
} as const;

export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export function createApiError(
  code: ApiErrorCode,
  message: string,
  options?: RhizomeErrorOptions,
): RhizomeError<ApiErrorCode> {
  return new RhizomeError(code, message, options);
}
