import type { AppRouter } from '@rhizome/api';
import {
  createDelta,
  createDeltaBuilder,
  createDeltaSigner,
  parseDeltaContent,
  type KeyInput,
  type PropertyValue,
} from '@rhizome/core';
import type { TRPCLink } from '@trpc/client';
// A link returns an observable and @trpc/client does not re-export the helper that makes one; this
// small pure module (already a dependency of @trpc/client) is the only server-side import.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import { observable } from '@trpc/server/observable';

/** Signs locally: the node never sees the secret key, only deltas it can verify. */
export interface ClientSigningKey {
  /** The creator the key belongs to (the token's creator on a node with tokens). */
  readonly creator: string;
  /** An Ed25519 secret key, 64 hex digits or 32 bytes (see `generateSigningKey`). */
  readonly secretKey: KeyInput;
  /** Stamped as `host` on the deltas this client builds (default `client`). */
  readonly host?: string;
}

interface Rewrite {
  readonly path: string;
  readonly input: unknown;
  readonly output: (data: unknown) => unknown;
}

const same = (data: unknown): unknown => data;

/**
 * A link that signs what the client writes before it leaves: `deltas.append` deltas of the key's
 * creator that carry no signature (their `creator`, `host` and `timeCreated` filled in first, since
 * the signature covers them), and `entities.put` and `deltas.negate`, which are built here as one
 * signed delta and sent through `deltas.append` (the answer keeps its usual shape). Deltas of other
 * creators, and deltas already signed, pass unchanged.
 */
export function createSigningLink(key: ClientSigningKey): TRPCLink<AppRouter> {
  const sign = createDeltaSigner(key.secretKey);
  const host = key.host ?? 'client';
  const builder = () =>
    createDeltaBuilder({
      creator: key.creator,
      host,
      timeCreated: Date.now(),
      signingKey: key.secretKey,
    });

  const signInput = (input: unknown): unknown => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    const given = input as Record<string, unknown>;
    if (given.signature !== undefined) return input;
    if (given.creator !== undefined && given.creator !== key.creator) return input;
    const { id: _id, ...rest } = given;
    // A malformed delta is sent as it is: the node answers with the usual error and path.
    try {
      const content = parseDeltaContent({
        ...rest,
        creator: key.creator,
        host: given.host ?? host,
        timeCreated: given.timeCreated ?? Date.now(),
      });
      return sign(createDelta(content));
    } catch {
      return input;
    }
  };

  const rewrite = (path: string, input: unknown): Rewrite | undefined => {
    const body = input as Record<string, unknown> | undefined;
    if (path === 'deltas.append' && Array.isArray(body?.deltas)) {
      return { path, input: { ...body, deltas: body.deltas.map(signInput) }, output: same };
    }
    const single = (data: unknown) => (data as { results: readonly unknown[] }).results[0];
    if (
      path === 'entities.put' &&
      typeof body?.id === 'string' &&
      typeof body.properties === 'object'
    ) {
      const delta = builder()
        .set(body.id, body.properties as Readonly<Record<string, PropertyValue>>)
        .build();
      return { path: 'deltas.append', input: { deltas: [delta] }, output: single };
    }
    if (path === 'deltas.negate' && typeof body?.id === 'string') {
      const delta = builder().negate(body.id).build();
      return { path: 'deltas.append', input: { deltas: [delta] }, output: single };
    }
    return undefined;
  };

  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let changed: Rewrite | undefined;
        if (op.type === 'mutation') {
          try {
            changed = rewrite(op.path, op.input);
          } catch {
            changed = undefined; // input the builder refuses: the node reports it as usual
          }
        }
        const forwarded =
          changed === undefined ? op : { ...op, path: changed.path, input: changed.input };
        return next(forwarded).subscribe({
          next(envelope) {
            const result = envelope.result;
            if (changed === undefined || !('data' in result) || result.type !== 'data') {
              observer.next(envelope);
              return;
            }
            observer.next({
              ...envelope,
              result: { ...result, data: changed.output(result.data) },
            });
          },
          error: (error) => observer.error(error),
          complete: () => observer.complete(),
        });
      });
}
