import type { Writable } from 'node:stream';

export interface Progress {
  /** `fraction` in [0, 1] when the total is known; the label is shown either way. */
  update(label: string, fraction?: number): void;
  done(): void;
}

const WIDTH = 24;
const MIN_INTERVAL_MS = 100;

/** A one-line bar redrawn in place; silent unless a person watches the stream. */
export function createProgress(stream: Writable, enabled: boolean): Progress {
  if (!enabled) return { update() {}, done() {} };
  let last = 0;
  let drawn = false;
  const draw = (label: string, fraction?: number) => {
    const bar =
      fraction === undefined
        ? ''
        : `[${'#'.repeat(Math.round(Math.min(1, fraction) * WIDTH)).padEnd(WIDTH, '.')}] ${Math.floor(
            Math.min(1, fraction) * 100,
          )
            .toString()
            .padStart(3)}% `;
    stream.write(`\r\u001b[2K${bar}${label}`);
    drawn = true;
  };
  let pending: { label: string; fraction?: number } | undefined;
  return {
    update(label, fraction) {
      pending = fraction === undefined ? { label } : { label, fraction };
      const now = Date.now();
      if (now - last < MIN_INTERVAL_MS) return;
      last = now;
      draw(label, fraction);
    },
    done() {
      if (pending !== undefined) draw(pending.label, pending.fraction);
      if (drawn) stream.write('\n');
    },
  };
}
