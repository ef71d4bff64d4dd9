/** The README example, kept compiling and true. */
import { createDeltaBuilder } from '@rhizome/core';
import { expect, it } from 'vitest';
import { createViewStore, defineSchema, prop, type ViewOf } from '../src/index.ts';

it('README example', () => {
  const person = defineSchema({
    name: 'person',
    properties: {
      name: prop.string(),
      age: prop.number({ resolver: 'max' }),
      friends: prop.references('person', { resolver: 'set', depth: 2 }),
    },
  });
  type Person = ViewOf<typeof person>;

  const store = createViewStore({ schemas: [person] });
  const alice = (time: number) => createDeltaBuilder({ creator: 'alice', host: 'h1', timeCreated: time });
  store.ingest(alice(1).set('ada', { name: 'Ada', age: 36 }).build());
  const ada: Person = store.resolve(person, 'ada');
  expect(ada).toEqual({ name: 'Ada', age: 36, friends: [] });
  expect(store.resolve(person, 'ada', { asOf: 0 })).toEqual({ friends: [] });
  const seen: Person[] = [];
  const stop = store.subscribe('ada', (view) => seen.push(view), { schema: person });
  store.ingest(alice(2).set('ada', { age: 37 }).build());
  stop();
  expect(seen).toEqual([{ name: 'Ada', age: 37, friends: [] }]);
});
