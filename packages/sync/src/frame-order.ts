/**
 * Puts numbered frames back in order. Frames are numbered from 1 per direction; a number seen
 * before is a duplicate, and a number ahead of the next expected one waits until the gap fills.
 */
export interface FrameOrder<T> {
  /** The frames that became deliverable, in order, or 'duplicate'. */
  accept(n: number, frame: T): T[] | 'duplicate';
  /** Frames waiting for a gap to fill. */
  readonly held: number;
  /** The number of the frame that would fill the first gap. */
  readonly expected: number;
}

export function createFrameOrder<T>(): FrameOrder<T> {
  let delivered = 0;
  const waiting = new Map<number, T>();
  return {
    accept(n, frame) {
      if (n <= delivered || waiting.has(n)) return 'duplicate';
      waiting.set(n, frame);
      const ready: T[] = [];
      while (waiting.has(delivered + 1)) {
        ready.push(waiting.get(delivered + 1)!);
        waiting.delete(++delivered);
      }
      return ready;
    },
    get held() {
      return waiting.size;
    },
    get expected() {
      return delivered + 1;
    },
  };
}
