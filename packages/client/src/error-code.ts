import { TRPCClientError } from '@trpc/client';

export { TRPCClientError };

export interface RhizomeClientError {
  /** Stable Rhizome error code, e.g. ENTITY_NOT_FOUND. */
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly message: string;
  readonly details: unknown;
}

/** The stable code, status and details of an error thrown by a client call; undefined for anything else. */
export function getRhizomeError(error: unknown): RhizomeClientError | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data = error.data as
    { httpStatus?: number; rhizome?: { code?: string; details?: unknown } } | undefined;
  return {
    code: data?.rhizome?.code ?? 'INTERNAL',
    httpStatus: data?.httpStatus,
    message: error.message,
    details: data?.rhizome?.details ?? null,
  };
}
