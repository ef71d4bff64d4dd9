import { WebSocket } from 'ws';
import type { BackoffOptions } from '../backoff.ts';
import type { DeltaFilter } from '../filter.ts';
import type { PeerPolicy } from '../peer-policy.ts';
import { defaultSyncLimits } from '../limits.ts';
import type { SyncNode } from '../node.ts';
import { createRandom, type Random } from '../random.ts';
import { createReconnector, type Reconnector } from '../reconnect.ts';
import { createRealScheduler, type Scheduler } from '../scheduler.ts';
import type { Session } from '../session.ts';
import { createWebSocketChannel } from './channel.ts';

export interface DialOptions {
  readonly node: SyncNode;
  readonly url: string;
  /** Pull only deltas matching this from the peer (see `DeltaFilter`). */
  readonly filter?: DeltaFilter;
  /** What this node takes from the peer (see `PeerPolicy`). */
  readonly policy?: PeerPolicy;
  readonly maxPayload?: number;
  /** Ask for permessage-deflate (used only if the server offers it too). */
  readonly compress?: boolean;
  /** Extra headers on the upgrade request, e.g. `authorization` for a server that checks tokens. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Opens one WebSocket to a peer and runs a session over it. Rejects if the socket does not open. */
export function dialSyncSocket(options: DialOptions): Promise<Session> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(options.url, {
      maxPayload: options.maxPayload ?? defaultSyncLimits.maxFrameBytes,
      perMessageDeflate: options.compress === true,
      ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
    });
    const onError = (error: Error): void => reject(error);
    socket.once('error', onError);
    socket.once('open', () => {
      socket.off('error', onError);
      const channel = createWebSocketChannel(socket);
      resolve(
        options.node.attach(channel, {
          address: options.url,
          ...(options.filter === undefined ? {} : { filter: options.filter }),
          ...(options.policy === undefined ? {} : { policy: options.policy }),
        }),
      );
    });
  });
}

export interface PeerLinkOptions extends DialOptions {
  readonly backoff?: BackoffOptions;
  readonly scheduler?: Scheduler;
  readonly random?: Random;
}

/** Keeps a link to a seed peer up: dials, and redials with backoff and jitter whenever it drops. */
export function connectSyncPeer(options: PeerLinkOptions): Reconnector {
  return createReconnector({
    scheduler: options.scheduler ?? createRealScheduler(),
    random: options.random ?? createRandom(Math.floor(Math.random() * 2 ** 31)),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    connect: () => dialSyncSocket(options),
  });
}
