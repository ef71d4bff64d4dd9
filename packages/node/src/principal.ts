import type { Delta } from '@rhizome/core';
import { createApiError, ApiErrorCode } from './errors.ts';

export const SCOPES = ['read', 'write', 'admin', 'peer'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Who is calling. A token binds a creator id and scopes; `open` marks a node running without
 * tokens (loopback only), whose callers are trusted to write as any creator.
 */
export interface Principal {
  readonly creator: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly open: boolean;
  /**
   * Signs on the caller's behalf with a key the server holds for its creator (a token bound to a
   * creator with a server-held key): the node signs each unsigned delta this principal writes
   * under its own creator before the signature policy looks at it.
   */
  readonly sign?: (delta: Delta) => Delta;
}

/** The principal of a node without tokens: every scope, creator `local` unless a delta says otherwise. */
export function createOpenPrincipal(creator = 'local'): Principal {
  return { creator, scopes: new Set(SCOPES), open: true };
}

/** `admin` includes `read` and `write`; `peer` stands alone (it is for node-to-node sync). */
export function hasScope(principal: Principal, scope: Scope): boolean {
  if (principal.scopes.has(scope)) return true;
  return (scope === 'read' || scope === 'write') && principal.scopes.has('admin');
}

/** Throws UNAUTHENTICATED without a principal and FORBIDDEN without the scope. */
export function assertScope(principal: Principal | null | undefined, scope: Scope): Principal {
  if (principal === null || principal === undefined) {
    throw createApiError(ApiErrorCode.Unauthenticated, 'a bearer token is required');
  }
  if (!hasScope(principal, scope)) {
    throw createApiError(ApiErrorCode.Forbidden, `this token lacks the "${scope}" scope`, {
      details: { required: scope, scopes: [...principal.scopes] },
    });
  }
  return principal;
}
