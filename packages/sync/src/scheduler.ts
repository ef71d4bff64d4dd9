/**
 * Time as the sync layer sees it. Sessions and transports take a Scheduler instead of calling the
 * global timers, so tests can run a whole network in virtual time, deterministically.
 */
export interface Scheduler {
  now(): number;
  /** Runs `task` after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, task: () => void): () => void;
}

export function createRealScheduler(): Scheduler {
  return {
    now: () => Date.now(),
    schedule(delayMs, task) {
      const handle = setTimeout(task, delayMs);
      // A pending ping or reconnect must not keep a process alive on its own.
      if (typeof handle === 'object' && handle !== null && 'unref' in handle) handle.unref();
      return () => clearTimeout(handle);
    },
  };
}

export interface VirtualScheduler extends Scheduler {
  /** Runs every task due up to `now() + ms`, letting promises settle after each. */
  advance(ms: number): Promise<void>;
  /** Advances in steps of `stepMs` until `done()` or `maxMs` passed; returns whether done. */
  runUntil(done: () => boolean, maxMs: number, stepMs?: number): Promise<boolean>;
  /** Tasks not yet run. */
  readonly pending: number;
}

interface Task {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** Settles every promise chain that is waiting only on other promises. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Virtual time: tasks run in (time, insertion) order and all in-memory async work settles between
 * two tasks, so a run depends only on its inputs and seed.
 */
export function createVirtualScheduler(start = 0): VirtualScheduler {
  let now = start;
  let order = 0;
  // A binary heap would be faster; a sorted insert keeps this short and runs are small.
  const queue: Task[] = [];

  const insert = (task: Task): void => {
    let low = 0;
    let high = queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = queue[mid]!;
      if (other.at < task.at || (other.at === task.at && other.order < task.order)) low = mid + 1;
      else high = mid;
    }
    queue.splice(low, 0, task);
  };

  const scheduler: VirtualScheduler = {
    now: () => now,
    schedule(delayMs, run) {
      const task: Task = { at: now + Math.max(0, delayMs), order: order++, run, cancelled: false };
      insert(task);
      return () => {
        task.cancelled = true;
      };
    },
    async advance(ms) {
      const until = now + ms;
      await settle();
      for (;;) {
        const next = queue[0];
        if (next === undefined || next.at > until) break;
        queue.shift();
        if (next.cancelled) continue;
        now = next.at;
        next.run();
        await settle();
      }
      now = until;
    },
    async runUntil(done, maxMs, stepMs = 10) {
      const until = now + maxMs;
      while (now < until) {
        if (done()) return true;
        await scheduler.advance(stepMs);
      }
      return done();
    },
    get pending() {
      return queue.filter((task) => !task.cancelled).length;
    },
  };
  return scheduler;
}
