import type { ChangesPage, StoredDelta } from '@rhizome/storage';

/**
 * Keeps a store's `onAppend` listeners in step with the whole changes feed of its database, not
 * only with the appends made through the store object: several server processes over one
 * PostgreSQL schema then each hear every append, whichever process made it.
 *
 * The feed is the truth, a wake-up is a hint. Wake-ups come from PostgreSQL `NOTIFY` (sent inside
 * every append's transaction), from the LISTEN connection (re)connecting, and from a slow poll;
 * each reads `changes` after the last reported seq, so a missed, coalesced or duplicated
 * notification, or a dropped connection, loses and repeats nothing. Sequence numbers become
 * visible in the order they are handed out (appends hold the per-schema lock until commit; see
 * sql-store.ts), so reading after the cursor never skips a late commit.
 *
 * Own appends and what others appended are reported through one queue, in seq order: before an
 * own append's entries, any earlier entries of other processes not reported yet.
 */
export interface FeedFollower {
  /** Reports an own append's entries (seq order), after every earlier entry not reported yet. */
  reportOwn(entries: readonly StoredDelta[]): Promise<void>;
  /** Nobody listens: moves the cursor past an own append without reading or reporting. */
  advanceTo(seq: number): void;
  /** Reads and reports what other processes appended since the last report. */
  wake(): void;
  close(): void;
}

export interface FeedFollowerOptions {
  /** The highest seq already in the feed when following began: reports start after it. */
  readonly after: number;
  readonly read: (after: number) => Promise<ChangesPage>;
  readonly report: (entries: readonly StoredDelta[]) => void;
  /** Read the feed at least this often, whatever the notifications (ms; 0 for never). */
  readonly pollMs: number;
  /** A read that failed (the database is down): the next wake-up or poll tries again. */
  readonly onError: (error: unknown) => void;
}

export function createFeedFollower(options: FeedFollowerOptions): FeedFollower {
  let reported = options.after;
  let lane: Promise<void> = Promise.resolve();
  let wakeQueued = false;
  let closed = false;

  // One task at a time, in the order queued: reports never interleave or go back in seq.
  const enqueue = (task: () => Promise<void>): Promise<void> => {
    const run = lane.then(task);
    lane = run.catch((error: unknown) => {
      if (!closed) options.onError(error);
    });
    return run;
  };

  /** Reports every entry after `reported` up to `through` (inclusive). */
  const catchUp = async (through: number): Promise<void> => {
    while (!closed && reported < through) {
      const page = await options.read(reported);
      const entries = page.entries.filter((entry) => entry.seq <= through);
      if (entries.length > 0) {
        options.report(entries);
        reported = entries[entries.length - 1]!.seq;
      }
      if (!page.hasMore || entries.length < page.entries.length || page.entries.length === 0)
        return;
    }
  };

  const timer = options.pollMs > 0 ? setInterval(() => follower.wake(), options.pollMs) : undefined;
  timer?.unref();

  const follower: FeedFollower = {
    reportOwn(entries) {
      if (entries.length === 0) return Promise.resolve();
      return enqueue(async () => {
        await catchUp(entries[0]!.seq - 1);
        const fresh = entries.filter((entry) => entry.seq > reported);
        if (fresh.length === 0) return;
        options.report(fresh);
        reported = fresh[fresh.length - 1]!.seq;
      });
    },
    advanceTo(seq) {
      void enqueue(async () => {
        if (seq > reported) reported = seq;
      }).catch(() => {});
    },
    wake() {
      if (closed || wakeQueued) return;
      wakeQueued = true;
      void enqueue(async () => {
        wakeQueued = false;
        await catchUp(Number.MAX_SAFE_INTEGER);
      }).catch(() => {});
    },
    close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
    },
  };
  return follower;
}
