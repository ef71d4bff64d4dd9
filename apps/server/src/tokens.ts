import { createHash } from 'node:crypto';
import { SCOPES, type Principal, type Scope } from '@rhizome/api';
import type { DeltaSigner } from '@rhizome/core';
import { z } from 'zod';

export interface TokenEntry {
  readonly token: string;
  readonly creator: string;
  readonly scopes: readonly Scope[];
}

/** Shorter tokens are refused: they can be guessed. */
export const MIN_TOKEN_LENGTH = 16;

const tokenEntrySchema = z.strictObject({
  token: z.string().min(MIN_TOKEN_LENGTH, `a token needs at least ${MIN_TOKEN_LENGTH} characters`),
  creator: z.string().min(1).max(512),
  scopes: z.array(z.enum(SCOPES)).min(1),
});

/**
 * Parses RHIZOME_TOKENS: a JSON array of `{ token, creator, scopes }`, or a comma-separated list
 * of `token=creator:scope+scope`. Returns the entries or the first problem, worded for a person.
 */
export function parseTokens(
  text: string,
): { ok: true; tokens: TokenEntry[] } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, tokens: [] };
  let raw: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      raw = JSON.parse(trimmed) as unknown[];
    } catch {
      return { ok: false, message: 'looks like JSON but does not parse' };
    }
    if (!Array.isArray(raw)) return { ok: false, message: 'must be a JSON array' };
  } else {
    raw = [];
    for (const [i, item] of trimmed.split(',').entries()) {
      const match = /^\s*([^=\s]+)=([^:\s]+):([a-z+]+)\s*$/.exec(item);
      if (match === null)
        return { ok: false, message: `entry ${i + 1} is not "token=creator:scope+scope"` };
      raw.push({ token: match[1], creator: match[2], scopes: match[3]!.split('+') });
    }
  }
  const tokens: TokenEntry[] = [];
  const seen = new Set<string>();
  for (const [i, item] of raw.entries()) {
    const result = tokenEntrySchema.safeParse(item);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue?.path.join('.') ?? '';
      return {
        ok: false,
        message: `entry ${i + 1}${field === '' ? '' : ` (${field})`}: ${issue?.message ?? 'invalid'}`,
      };
    }
    if (seen.has(result.data.token))
      return { ok: false, message: `entry ${i + 1} repeats a token` };
    seen.add(result.data.token);
    tokens.push(result.data);
  }
  return { ok: true, tokens };
}

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal | null }
  | { readonly ok: false; readonly reason: string };

export interface Authenticator {
  /** Without tokens the node is open: everyone is the open principal. */
  readonly open: boolean;
  /** null principal: no credentials (routes decide); not ok: credentials that are wrong. */
  authenticate(authorization: string | undefined): AuthResult;
}

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * `signers`: server-held keys by creator (RHIZOME_SIGNING_KEYS_FILE); a principal whose creator has
 * one gets its writes signed by the node.
 */
export function createAuthenticator(
  tokens: readonly TokenEntry[],
  openPrincipal: Principal,
  signers: ReadonlyMap<string, DeltaSigner> = new Map(),
): Authenticator {
  const withSigner = (principal: Principal): Principal => {
    const sign = signers.get(principal.creator);
    return sign === undefined ? principal : { ...principal, sign };
  };
  // Looked up by digest, so the lookup time does not depend on how much of a guess matches.
  const byDigest = new Map<string, Principal>(
    tokens.map((entry) => [
      digest(entry.token),
      withSigner({ creator: entry.creator, scopes: new Set(entry.scopes), open: false }),
    ]),
  );
  const openSigned = withSigner(openPrincipal);
  const open = tokens.length === 0;
  return {
    open,
    authenticate(authorization) {
      if (open) return { ok: true, principal: openSigned };
      if (authorization === undefined || authorization === '') return { ok: true, principal: null };
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (match === null)
        return { ok: false, reason: 'the Authorization header must be "Bearer <token>"' };
      const principal = byDigest.get(digest(match[1]!));
      return principal === undefined
        ? { ok: false, reason: 'unknown token' }
        : { ok: true, principal };
    },
  };
}
