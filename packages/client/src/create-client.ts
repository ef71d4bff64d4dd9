import type { AppRouter } from '@rhizome/api';
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
} from '@trpc/client';
import { EventSource, type FetchLike } from 'eventsource';
import { createSigningLink, type ClientSigningKey } from './signing-link.ts';

export interface ClientOptions {
  /** The node's base URL, e.g. `http://127.0.0.1:8080` (the router is served under `/trpc`). */
  readonly url: string;
  /** Bearer token; leave out for a node running open on loopback. */
  readonly token?: string;
  /** Fetch for queries, mutations and the SSE stream (defaults to the global fetch). */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Sign writes locally with this key: `deltas.append` (the key's creator's unsigned deltas),
   * `entities.put` and `deltas.negate` then send deltas signed here (see `createSigningLink`).
   */
  readonly signingKey?: ClientSigningKey;
}

export type RhizomeClient = TRPCClient<AppRouter>;

/** The tRPC endpoint under a base URL, whether or not it was given with a trailing slash or `/trpc`. */
export function resolveTrpcUrl(url: string): string {
  const base = url.replace(/\/+$/, '');
  return base.endsWith('/trpc') ? base : `${base}/trpc`;
}

/**
 * A typed client for every procedure of a Rhizome node. Queries and mutations are batched over
 * HTTP; subscriptions use Server-Sent Events through an EventSource built on fetch, which (unlike
 * the browser's) can send the Authorization header.
 */
export function createClient(options: ClientOptions): RhizomeClient {
  const url = resolveTrpcUrl(options.url);
  const authorization: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const baseFetch = options.fetch ?? globalThis.fetch;
  const sseFetch: FetchLike = (input, init) =>
    baseFetch(input, { ...init, headers: { ...init.headers, ...authorization } });
  return createTRPCClient<AppRouter>({
    links: [
      ...(options.signingKey === undefined ? [] : [createSigningLink(options.signingKey)]),
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: () => ({ fetch: sseFetch }),
        }),
        false: httpBatchLink({ url, headers: () => authorization, fetch: baseFetch }),
      }),
    ],
  });
}
