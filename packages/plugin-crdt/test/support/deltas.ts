import { createDeltaBuilder, type Delta, type Primitive } from '@rhizome/core';
import { counterChangePointers, sequenceInsertPointers, setAddPointers } from '../../src/index.ts';

export const builder = (timeCreated: number, creator = 'alice') =>
  createDeltaBuilder({ creator, host: 'test', timeCreated });

function withPointers(
  timeCreated: number,
  creator: string,
  pointers: ReturnType<typeof setAddPointers>,
): Delta {
  const b = builder(timeCreated, creator);
  for (const pointer of pointers) b.pointer(pointer);
  return b.build();
}

export const insertAfter = (
  time: number,
  creator: string,
  after: string | undefined,
  value: Primitive,
  entity = 'doc',
) =>
  withPointers(time, creator, sequenceInsertPointers({ entity, property: 'text', after, value }));

export const counterChange = (time: number, creator: string, amount: number) =>
  withPointers(time, creator, counterChangePointers({ entity: 'c', property: 'n', amount }));

export const setAdd = (time: number, creator: string, value: Primitive) =>
  withPointers(time, creator, setAddPointers({ entity: 's', property: 'tags', value }));

export const negate = (time: number, target: Delta, creator = 'alice') =>
  builder(time, creator).negate(target.id).build();

export { createReplica, partitionByNegation, permutations, resolveFromScratch } from '@rhizome/plugins/testing';
