import { ApiErrorCode, appRouter, createApiError, type Principal } from '@rhizome/api';

interface ProcedureRecord {
  readonly [path: string]: { readonly _def: { readonly type: string } };
}

// Every subscription procedure of the router, by its dotted path.
const SUBSCRIPTIONS: ReadonlySet<string> = new Set(
  Object.entries(
    (appRouter as unknown as { _def: { procedures: ProcedureRecord } })._def.procedures,
  )
    .filter(([, procedure]) => procedure._def.type === 'subscription')
    .map(([path]) => path),
);

/**
 * A tRPC subscription answers 200 and then reports errors inside its event stream. Credentials
 * are checked before that, as on the REST SSE routes: a subscription without a token is 401, one
 * whose token lacks `read` is 403, so an EventSource or a proxy sees the refusal as a status.
 * Throws the API error to send, or returns when the request may go on to tRPC.
 */
export function assertSubscriptionAllowed(
  procedurePath: string,
  principal: Principal | null,
  hasRead: (principal: Principal) => boolean,
): void {
  const paths = procedurePath.split(',');
  if (!paths.some((path) => SUBSCRIPTIONS.has(path))) return;
  if (principal === null) {
    throw createApiError(ApiErrorCode.Unauthenticated, 'a bearer token is required');
  }
  if (!hasRead(principal)) {
    throw createApiError(ApiErrorCode.Forbidden, 'this token lacks the "read" scope', {
      details: { required: 'read', scopes: [...principal.scopes] },
    });
  }
}
