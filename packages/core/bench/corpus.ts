// The small deltas (2–4 pointers) the core benchmarks measure, the same in every run.
import { createDeltaBuilder } from '../src/builder.ts';
import type { Delta } from '../src/types.ts';

export function makeDeltas(count: number): Delta[] {
  const deltas: Delta[] = [];
  for (let i = 0; i < count; i++) {
    const builder = createDeltaBuilder({
      creator: `user-${i % 17}`,
      host: `host-${i % 3}`,
      timeCreated: 1_700_000_000_000 + i,
    });
    switch (i % 3) {
      case 0: // 2 pointers: one property
        builder.set(`entity-${i}`, { name: `Name number ${i}` });
        break;
      case 1: // 3 pointers: a relation with a role and a value
        builder
          .relate(
            { entity: `person-${i}`, property: 'friends' },
            { entity: `person-${i + 1}`, property: 'friends' },
          )
          .pointer({ localContext: 'since', target: 2000 + (i % 25) });
        break;
      default: // 4 pointers: two properties of one entity
        builder.set(`entity-${i}`, { age: i % 90, active: i % 2 === 0 });
    }
    deltas.push(builder.build());
  }
  return deltas;
}

/** Runs `fn` over `items` until `minMs` has passed; returns items per second. */
export function measure<T>(items: readonly T[], fn: (item: T) => unknown, minMs: number): number {
  let count = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const item of items) {
      if (fn(item) !== undefined) sink++;
    }
    count += items.length;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  if (sink !== count) throw new Error('benchmark sink mismatch');
  return (count / elapsed) * 1000;
}

export function median(values: readonly number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export const formatRate = (perSecond: number) => Math.round(perSecond).toLocaleString('en-US');
