// A tour of @rhizome/core: build deltas, check their content ids, and see validation at work.
import { createClock, createDeltaBuilder, isRhizomeError, parseDelta } from '../src/index.ts';

const clock = createClock();
const start = (creator: string) => createDeltaBuilder({ creator, host: 'demo-node', clock });

const name = start('alice').set('alice', { name: 'Alice', age: 31 }).build();
const friends = start('alice')
  .relate({ entity: 'alice', property: 'friends' }, { entity: 'bob', property: 'friends' })
  .build();
const undo = start('alice').negate(friends.id).build();

for (const delta of [name, friends, undo]) console.log(JSON.stringify(delta));

try {
  parseDelta({ ...name, creator: 'mallory' });
} catch (error) {
  if (isRhizomeError(error)) console.log(`tampered delta rejected: ${error.code}: ${error.message}`);
}
