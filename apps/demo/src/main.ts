// `pnpm start` until the server lands: a node on embedded PGlite (or DATABASE_URL) that writes a
// few deltas per run, rebuilds its views from storage at start, and shows that nothing is lost
// across restarts. Run it twice and watch `visits` grow.
import { fileURLToPath } from 'node:url';
import { createClock, createDeltaBuilder } from '@rhizome/core';
import { replayStore } from '@rhizome/storage';
import { openDeltaStore } from '@rhizome/storage-postgres';
import { createViewStore, defineSchema, prop } from '@rhizome/views';

const person = defineSchema({
  name: 'person',
  properties: {
    name: prop.string(),
    mood: prop.string(),
    visits: prop.number({ resolver: 'sum' }),
    friends: prop.references('person', { resolver: 'set', depth: 1 }),
  },
});

function newestTime(deltas: Iterable<{ timeCreated: number }>): number {
  let newest = 0;
  for (const delta of deltas) if (delta.timeCreated > newest) newest = delta.timeCreated;
  return newest;
}

const dataDir =
  process.env.RHIZOME_DATA_DIR ?? fileURLToPath(new URL('../../../.rhizome-data/demo', import.meta.url));
const store = await openDeltaStore({ dataDir });
const where = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${dataDir}`;

try {
  const views = createViewStore({ schemas: [person] });
  const restored = await replayStore(store, (entries) => {
    views.ingestMany(entries.map((entry) => entry.delta));
  });
  const before = await store.counts();
  console.log(`Rhizome demo node on ${where}`);
  console.log(`restored ${before.deltas} deltas (last seq ${restored}) from storage into the view cache\n`);

  const clock = createClock({ after: newestTime(views.index.deltas()) });
  const as = (creator: string) => createDeltaBuilder({ creator, host: 'demo-node', clock });
  const previousMood = views.hyperview('alice').properties.get('mood')?.at(-1);
  const moods = ['curious', 'busy', 'happy'];

  const written = [
    as('alice').set('alice', { name: 'Alice', visits: 1 }).build(),
    as('bob').set('bob', { name: 'Bob' }).build(),
    as('alice').relate({ entity: 'alice', property: 'friends' }, { entity: 'bob', property: 'friends' }).build(),
    as('alice').set('alice', { mood: moods[before.deltas % moods.length]! }).build(),
  ];
  // Retract last run's mood: a negation, stored like any other delta.
  if (previousMood) written.push(as('alice').negate(previousMood.id).build());

  const result = await store.append(written);
  views.ingestMany(written);
  console.log(`wrote ${result.inserted.length} new deltas (${result.duplicates.length} already known)`);

  console.log('\nalice, resolved under the "person" schema:');
  console.log(JSON.stringify(views.resolve(person, 'alice'), null, 2));

  console.log('\nalice, hyperview (every visible delta per property):');
  for (const [property, deltas] of views.hyperview('alice').properties) {
    console.log(`  ${property}: ${deltas.length} delta(s)`);
  }
  const after = await store.counts();
  console.log(`\nstore now holds ${after.deltas} deltas about ${after.entities} entities. Run again: visits grows, nothing is lost.`);
} finally {
  await store.close();
}
