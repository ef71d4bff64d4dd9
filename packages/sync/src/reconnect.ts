import { computeBackoff, defaultBackoff, type BackoffOptions } from './backoff.ts';
import { createSyncError, type SyncErrorCode } from './errors.ts';
import type { Random } from './random.ts';
import type { Scheduler } from './scheduler.ts';
import type { Session } from './session.ts';

export interface ReconnectorOptions {
  /** Dials and attaches a session; rejects when the peer cannot be reached. */
  readonly connect: () => Promise<Session>;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly backoff?: BackoffOptions;
  /** Called with every failure to dial (for the peer list's last error). */
  readonly onError?: (error: unknown) => void;
}

export interface Reconnector {
  /** The live session, if connected. */
  current(): Session | undefined;
  /** Failed or closed attempts since the last session that got through its handshake. */
  readonly failures: number;
  stop(): void;
}

/** Keeps one link up: redials after every close or failure, with exponential backoff and jitter. */
export function createReconnector(options: ReconnectorOptions): Reconnector {
  let failures = 0;
  let stopped = false;
  let session: Session | undefined;
  let cancelRetry: (() => void) | undefined;

  const retry = (): void => {
    if (stopped) return;
    const delay = computeBackoff(failures, options.random, options.backoff ?? defaultBackoff);
    failures++;
    cancelRetry = options.scheduler.schedule(delay, () => {
      cancelRetry = undefined;
      void attempt();
    });
  };

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    let next: Session;
    try {
      next = await options.connect();
    } catch (error) {
      options.onError?.(error);
      retry();
      return;
    }
    if (stopped) {
      next.close();
      return;
    }
    session = next;
    next.onClosed(() => {
      if (session === next) session = undefined;
      // Why the link ended (a refused handshake, a protocol error) outlives the session.
      const ended = next.snapshot().lastError;
      if (ended !== undefined)
        options.onError?.(createSyncError(ended.code as SyncErrorCode, ended.message));
      // A link that got as far as a handshake was healthy: start the backoff over.
      if (next.snapshot().peer !== undefined) failures = 0;
      retry();
    });
  };

  void attempt();
  return {
    current: () => session,
    get failures() {
      return failures;
    },
    stop() {
      stopped = true;
      cancelRetry?.();
      session?.close();
    },
  };
}
