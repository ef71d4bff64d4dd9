import { createDeltaBuilder, type Delta, type DeltaBuilder } from '@rhizome/core';

/** A builder with fixed host and creator, so fixtures hash the same on every run. */
export function startDelta(timeCreated: number, creator = 'tester'): DeltaBuilder {
  return createDeltaBuilder({ creator, host: 'testkit', timeCreated });
}

/** `count` small deltas setting `entity-<i % entities>.value`, at increasing times. */
export function createSmallDeltas(
  count: number,
  options: { entities?: number; start?: number; prefix?: string } = {},
): Delta[] {
  const entities = options.entities ?? count;
  const start = options.start ?? 1_700_000_000_000;
  const prefix = options.prefix ?? 'entity-';
  const out: Delta[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      startDelta(start + i)
        .set(`${prefix}${i % entities}`, { value: i })
        .build(),
    );
  }
  return out;
}
