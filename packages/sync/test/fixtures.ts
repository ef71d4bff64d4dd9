import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { createRandom } from '../src/random.ts';

/** Realistic deltas: a few hosts and creators, entities from a pool, property sets and relations. */
export function generateDeltas(count: number, seed: number, prefix = 'e'): Delta[] {
  const random = createRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hosts = ['host-a', 'host-b', 'host-c'];
  const creators = ['alice', 'bob', 'carol', 'dave'];
  const properties = ['name', 'email', 'age', 'title', 'status'];
  const deltas: Delta[] = [];
  let time = 1_700_000_000_000;
  for (let i = 0; i < count; i++) {
    time += 1 + Math.floor(random() * 5);
    const builder = createDeltaBuilder({ host: pick(hosts), creator: pick(creators), timeCreated: time });
    const entity = `${prefix}-${Math.floor(random() * Math.max(10, count / 10))}`;
    if (random() < 0.3) {
      builder.relate(
        { entity, property: 'knows' },
        { entity: `${prefix}-${Math.floor(random() * 100)}`, property: 'knownBy' },
      );
    } else {
      const property = pick(properties);
      builder.set(entity, { [property]: property === 'age' ? Math.floor(random() * 90) : `value ${i} of ${entity}` });
    }
    deltas.push(builder.build());
  }
  return deltas;
}
