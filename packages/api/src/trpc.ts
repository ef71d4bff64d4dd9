import { isRhizomeError } from '@rhizome/core';
import { initTRPC, TRPCError } from '@trpc/server';
import { getTrpcCode, toErrorResponse } from './error-mapping.ts';
import { ApiErrorCode } from '@rhizome/node';
import type { RhizomeNode } from '@rhizome/node';
import type { PeerService } from './peers.ts';
import { assertScope, type Principal, type Scope } from '@rhizome/node';

export interface ApiContext {
  readonly node: RhizomeNode;
  /** Null when the request carried no (valid) credentials. */
  readonly principal: Principal | null;
  /** Absent when the node runs without sync. */
  readonly peers: PeerService | undefined;
  /** Keep tRPC's `data.stack` in error bodies (server paths): only with an explicit debug setting. */
  readonly debugErrors?: boolean;
  /**
   * The transport's way to end this request's subscription response when the node drops its
   * subscriber for falling behind (see `StreamDeltasOptions.onDropped`): a reader that stopped
   * reading never pulls the error event, so the transport closes the connection instead.
   */
  readonly onStreamDropped?: (error: unknown) => void;
}

export interface CreateContextOptions {
  readonly node: RhizomeNode;
  readonly principal: Principal | null;
  readonly peers?: PeerService;
  readonly debugErrors?: boolean;
  /**
   * The transport's way to end this request's subscription response when the node drops its
   * subscriber for falling behind (see `StreamDeltasOptions.onDropped`): a reader that stopped
   * reading never pulls the error event, so the transport closes the connection instead.
   */
  readonly onStreamDropped?: (error: unknown) => void;
}

/** The tRPC context: the node service and who is calling. Transports authenticate, then call this. */
export function createContext(options: CreateContextOptions): ApiContext {
  return {
    node: options.node,
    principal: options.principal,
    peers: options.peers,
    debugErrors: options.debugErrors === true,
    ...(options.onStreamDropped === undefined ? {} : { onStreamDropped: options.onStreamDropped }),
  };
}

/** A Rhizome error as a tRPC error with the matching code; the original stays the `cause`. */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (isRhizomeError(error))
    return new TRPCError({ code: getTrpcCode(error.code), message: error.message, cause: error });
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error', cause: error });
}

/** The stable code a client sees in `error.data.rhizome.code`. */
function stableCodeOf(error: TRPCError): string {
  if (isRhizomeError(error.cause)) return error.cause.code;
  if (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR')
    return ApiErrorCode.InvalidRequest;
  if (error.code === 'NOT_FOUND') return ApiErrorCode.RouteNotFound;
  if (error.code === 'METHOD_NOT_SUPPORTED') return ApiErrorCode.MethodNotAllowed;
  if (error.code === 'UNSUPPORTED_MEDIA_TYPE') return ApiErrorCode.UnsupportedMediaType;
  if (error.code === 'PAYLOAD_TOO_LARGE') return ApiErrorCode.PayloadTooLarge;
  return ApiErrorCode.Internal;
}

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error, ctx }) {
    const cause = error.cause;
    // Same details as the REST body (including the JSON path of a validation error).
    const details = isRhizomeError(cause)
      ? toErrorResponse(cause).body.error.details
      : error.code === 'BAD_REQUEST'
        ? ((cause as { issues?: unknown } | undefined)?.issues ?? null)
        : null;
    // tRPC adds a stack (with absolute server paths) outside production; it stays out of bodies.
    const { stack, ...data } = shape.data;
    return {
      ...shape,
      data: {
        ...data,
        ...(ctx?.debugErrors === true && stack !== undefined ? { stack } : {}),
        rhizome: { code: stableCodeOf(error), details },
      },
    };
  },
  sse: {
    // Keeps proxies from closing an idle subscription and lets the client notice a dead server.
    ping: { enabled: true, intervalMs: 15_000 },
    client: { reconnectAfterInactivityMs: 40_000 },
  },
});

export const createRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (
    !result.ok &&
    result.error.code === 'INTERNAL_SERVER_ERROR' &&
    isRhizomeError(result.error.cause)
  ) {
    return { ...result, error: toTRPCError(result.error.cause) };
  }
  return result;
});

const requireScope = (scope: Scope) =>
  t.middleware(({ ctx, next }) => {
    try {
      return next({ ctx: { ...ctx, principal: assertScope(ctx.principal, scope) } });
    } catch (error) {
      throw toTRPCError(error);
    }
  });

/** No credentials needed (health). */
export const publicProcedure = t.procedure.use(mapErrors);
export const readProcedure = publicProcedure.use(requireScope('read'));
export const writeProcedure = publicProcedure.use(requireScope('write'));
export const adminProcedure = publicProcedure.use(requireScope('admin'));

/** Runs a node stream as a subscription body, turning its errors into tRPC errors. */
export async function* streamOf<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw toTRPCError(error);
  }
}
