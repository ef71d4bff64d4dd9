import { TRPCClientError } from '@trpc/client';

export { TRPCClientError };

export interface RhizomeClientError {
  /** Stable Rhizome error code, e.g. ENTITY_NOT_FOUND. */
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly message: string;
  readonly details: unknown;
}

// A subscription the node refuses before its event stream starts (401, 403) reaches the client
// as the EventSource's failed connection, which carries the HTTP status but not the body.
const CODE_BY_STREAM_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  429: 'TOO_MANY_SUBSCRIPTIONS',
  503: 'NODE_UNAVAILABLE',
};

/** The stable code, status and details of an error thrown by a client call; undefined for anything else. */
export function getRhizomeError(error: unknown): RhizomeClientError | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data = error.data as
    { httpStatus?: number; rhizome?: { code?: string; details?: unknown } } | undefined;
  if (data === undefined) {
    const status = (error.cause as { code?: unknown } | undefined)?.code;
    if (typeof status === 'number' && CODE_BY_STREAM_STATUS[status] !== undefined) {
      return {
        code: CODE_BY_STREAM_STATUS[status],
        httpStatus: status,
        message: error.message,
        details: null,
      };
    }
  }
  return {
    code: data?.rhizome?.code ?? 'INTERNAL',
    httpStatus: data?.httpStatus,
    message: error.message,
    details: data?.rhizome?.details ?? null,
  };
}
