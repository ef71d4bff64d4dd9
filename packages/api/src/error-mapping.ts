import { isRhizomeError } from '@rhizome/core';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ApiErrorCode } from '@rhizome/node';

/**
 * The one table from stable error codes (core, views, storage, api) to HTTP statuses. REST,
 * tRPC and anything else at the boundary derive their status from here.
 */
const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  // core: the input is not a valid delta
  DELTA_INVALID: 400,
  DELTA_ID_MISMATCH: 400,
  POINTER_INVALID: 400,
  DELTA_TOO_LARGE: 400,
  BUILDER_INVALID: 400,
  BUILDER_CONFLICT: 400,
  CLOCK_DRIFT: 400,
  SIGNATURE_MISSING: 400,
  SIGNATURE_INVALID: 400,
  SIGNING_KEY_INVALID: 400,
  KEY_UNKNOWN: 403,
  // views
  SCHEMA_INVALID: 400,
  SCHEMA_NOT_SERIALIZABLE: 400,
  SCHEMA_UNKNOWN: 404,
  RESOLVER_INVALID: 400,
  QUERY_INVALID: 400,
  DELTA_REJECTED: 400,
  // storage
  STORAGE_INVALID_INPUT: 400,
  STORAGE_CONFLICT: 409,
  STORAGE_UNAVAILABLE: 503,
  STORAGE_CLOSED: 503,
  STORAGE_READ_ONLY: 503,
  STORAGE_FAILED: 500,
  // api
  [ApiErrorCode.Unauthenticated]: 401,
  [ApiErrorCode.Forbidden]: 403,
  [ApiErrorCode.CreatorMismatch]: 403,
  [ApiErrorCode.HostNotAllowed]: 403,
  [ApiErrorCode.OriginNotAllowed]: 403,
  [ApiErrorCode.InvalidRequest]: 400,
  [ApiErrorCode.MethodNotAllowed]: 405,
  [ApiErrorCode.UnsupportedMediaType]: 415,
  [ApiErrorCode.PayloadTooLarge]: 413,
  [ApiErrorCode.DeltaNotFound]: 404,
  [ApiErrorCode.EntityNotFound]: 404,
  [ApiErrorCode.SchemaNotFound]: 404,
  [ApiErrorCode.RouteNotFound]: 404,
  [ApiErrorCode.SubscriberTooSlow]: 429,
  [ApiErrorCode.TooManySubscriptions]: 429,
  [ApiErrorCode.SyncDisabled]: 404,
  [ApiErrorCode.PeerExists]: 409,
  [ApiErrorCode.PeerNotFound]: 404,
  [ApiErrorCode.PeerConfigured]: 409,
  [ApiErrorCode.QueryTooBroad]: 400,
  [ApiErrorCode.NodeUnavailable]: 503,
  [ApiErrorCode.Internal]: 500,
};

const TRPC_CODE_BY_STATUS: Readonly<Record<number, TRPC_ERROR_CODE_KEY>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** HTTP status for a stable error code; unknown codes are server faults (500). */
export function getHttpStatus(code: string): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}

/** tRPC error code for a stable error code, consistent with `getHttpStatus`. */
export function getTrpcCode(code: string): TRPC_ERROR_CODE_KEY {
  return TRPC_CODE_BY_STATUS[getHttpStatus(code)] ?? 'INTERNAL_SERVER_ERROR';
}

/** The wire shape of every error: `{ error: { code, message, details } }`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details: unknown };
}

/**
 * Status and body for any thrown value. Unexpected errors keep their message out of the body:
 * they are logged by the caller, and the client sees only INTERNAL.
 */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (isRhizomeError(error) && HTTP_STATUS_BY_CODE[error.code] !== undefined) {
    const details =
      error.path === undefined
        ? (error.details ?? null)
        : { path: error.path, ...detailsObject(error.details) };
    return {
      status: getHttpStatus(error.code),
      body: { error: { code: error.code, message: error.message, details } },
    };
  }
  return {
    status: 500,
    body: { error: { code: ApiErrorCode.Internal, message: 'internal error', details: null } },
  };
}

function detailsObject(details: unknown): Record<string, unknown> {
  if (details === undefined || details === null) return {};
  if (Array.isArray(details) || typeof details !== 'object') return { issues: details };
  return details as Record<string, unknown>;
}
