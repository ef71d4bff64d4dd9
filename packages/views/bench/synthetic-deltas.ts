/**
 * Synthetic deltas for the benchmarks: sequential 43-character ids instead of SHA-256, so that the
 * figures measure the index and the views, not hashing; their shape is what
 * `createDeltaBuilder().set()` produces.
 */
import { freezeDelta, type Delta } from '@rhizome/core';

export const PROPERTIES = ['name', 'age', 'email', 'city', 'score', 'status', 'title', 'team'];
const CREATORS = Array.from({ length: 10 }, (_, i) => `creator-${i}`);
const HOSTS = ['host-a', 'host-b'];

// Real ids are flat 43-character base64url strings; build them the same way (a padded template
// string would be a rope several times larger and distort the heap figures).
let sequence = 0;
const idBytes = Buffer.alloc(32, 7);
function nextId(): string {
  idBytes.writeUInt32BE(sequence++, 0);
  return idBytes.toString('base64url');
}

/** One small delta: `set(entity, { property: value })`, the property and value chosen by `i`. */
export function makeDelta(entityId: string, time: number, i: number): Delta {
  const property = PROPERTIES[i % PROPERTIES.length]!;
  const value = property === 'age' || property === 'score' ? i % 100 : `v${i % 1000}`;
  return freezeDelta({
    id: nextId(),
    timeCreated: time,
    creator: CREATORS[i % CREATORS.length]!,
    host: HOSTS[i % HOSTS.length]!,
    pointers: [
      { localContext: 'entity', target: { id: entityId }, targetContext: property },
      { localContext: property, target: value },
    ],
  });
}
