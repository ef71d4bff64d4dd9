import { createDeltaBuilder, type Delta, type PropertyValue } from '@rhizome/core';

/** Builds deltas with explicit times, the way every test here writes them. */
export function at(timeCreated: number, creator = 'alice') {
  return createDeltaBuilder({ creator, host: 'test', timeCreated });
}

export function set(
  time: number,
  entity: string,
  properties: Record<string, PropertyValue>,
  creator = 'alice',
): Delta {
  return at(time, creator).set(entity, properties).build();
}

export function negate(time: number, target: Delta | string, creator = 'alice'): Delta {
  return at(time, creator)
    .negate(typeof target === 'string' ? target : target.id)
    .build();
}

export { createReplica, partitionByNegation, resolveFromScratch } from '../../src/testing.ts';
