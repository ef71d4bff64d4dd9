import type { Channel } from './channel.ts';
import type { Scheduler } from './scheduler.ts';

export interface SendBufferOptions {
  readonly channel: Channel;
  readonly scheduler: Scheduler;
  /** Bytes the transport may hold unsent before batches pause (`SyncLimits.maxBufferedBytes`). */
  readonly maxBufferedBytes: number;
  /** How long the buffer may stay over the cap before the peer counts as stalled. */
  readonly stallTimeoutMs: number;
  /** Above this, any further frame means the peer is not reading: the link is dropped at once. */
  readonly hardLimitBytes: number;
  /** Called when the buffer fell under the cap again: resume sending. */
  readonly onDrained: () => void;
  /** Called once when the peer stalled past the timeout or the hard limit. */
  readonly onStalled: (message: string) => void;
  /** Registers a timer with the session, so closing the session cancels it. */
  readonly timer: (delayMs: number, task: () => void) => () => void;
}

export interface SendBuffer {
  /** Whether batches must wait: the transport holds at least the cap. Starts the drain watch. */
  isFull(): boolean;
  /** Checks a frame about to be sent against the hard limit; false means the link was dropped. */
  admit(): boolean;
}

const POLL_MS = 20;

/**
 * The node's own cap on what one link holds in flight, whatever credit the peer grants: credit
 * counts batches the peer promises to take, the transport's buffered amount counts bytes it has
 * not taken yet. A peer that stops reading is paused at the cap and dropped if it stays there.
 * Transports that cannot tell (no `bufferedAmount`) are never paused.
 */
export function createSendBuffer(options: SendBufferOptions): SendBuffer {
  const { channel, scheduler } = options;
  let stalledSince: number | undefined;
  let watching = false;
  let dropped = false;

  const buffered = (): number => channel.bufferedAmount ?? 0;

  // The timeout's error frame still goes out (the peer may read it later); past the hard limit
  // nothing more is queued.
  const stall = (message: string, hard: boolean): void => {
    if (dropped) return;
    if (hard) dropped = true;
    options.onStalled(message);
    dropped = true;
  };

  const watch = (): void => {
    if (watching || dropped) return;
    watching = true;
    options.timer(POLL_MS, () => {
      watching = false;
      if (dropped) return;
      if (buffered() < options.maxBufferedBytes) {
        stalledSince = undefined;
        options.onDrained();
        return;
      }
      const since = stalledSince ?? scheduler.now();
      if (scheduler.now() - since >= options.stallTimeoutMs) {
        stall(`the peer read nothing for ${options.stallTimeoutMs} ms with ${buffered()} bytes waiting (cap ${options.maxBufferedBytes})`, false);
        return;
      }
      watch();
    });
  };

  return {
    isFull() {
      if (dropped) return true;
      if (buffered() < options.maxBufferedBytes) return false;
      stalledSince ??= scheduler.now();
      watch();
      return true;
    },
    admit() {
      if (dropped) return false;
      if (buffered() <= options.hardLimitBytes) return true;
      stall(`${buffered()} bytes waiting for the peer, over the hard limit of ${options.hardLimitBytes}`, true);
      return false;
    },
  };
}
