// The index's maps split into shards past a size (2^23 by default, so that no single V8 Map
// reaches its 2^24-entry limit); small split points make the switch testable.
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeltaBuilder } from '@rhizome/core';
import { ShardedMap } from './sharded-map.ts';
import { createViewStore } from './view-store.ts';

type Op = { kind: 'set'; key: string; value: number } | { kind: 'delete'; key: string };

const keyArb = fc.string({ minLength: 0, maxLength: 6 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
);

describe('ShardedMap', () => {
  it('behaves as a Map before and after it splits', () => {
    assertProperty(
      fc.property(
        fc.array(opArb, { maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        (ops, splitAt) => {
          const sharded = new ShardedMap<number>({ splitAt, shards: 4 });
          const model = new Map<string, number>();
          for (const op of ops) {
            if (op.kind === 'set') {
              sharded.set(op.key, op.value);
              model.set(op.key, op.value);
            } else expect(sharded.delete(op.key)).toBe(model.delete(op.key));
            expect(sharded.size).toBe(model.size);
          }
          for (const [key, value] of model) {
            expect(sharded.has(key)).toBe(true);
            expect(sharded.get(key)).toBe(value);
          }
          expect(sharded.get('\u0000absent')).toBeUndefined();
          expect([...sharded.keys()].sort()).toEqual([...model.keys()].sort());
          expect([...sharded.values()].sort()).toEqual([...model.values()].sort());
        },
      ),
      200,
    );
  });

  it('splits once it holds splitAt entries and spreads them over the shards', () => {
    const map = new ShardedMap<number>({ splitAt: 1000, shards: 16 });
    for (let i = 0; i < 999; i++) map.set(`user:${i}`, i);
    expect(map.sharded).toBe(false);
    map.set('user:999', 999);
    expect(map.sharded).toBe(true);
    const perShard = (map as unknown as { shards: Map<string, number>[] }).shards.map(
      (s) => s.size,
    );
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.max(...perShard)).toBeLessThan((1000 / 16) * 2);
    expect(map.get('user:500')).toBe(500);
  });
});

describe('a view store whose index has split', () => {
  it('resolves every view as one that has not', () => {
    const small = createViewStore({ shards: { splitAt: 16, shards: 4 } });
    const plain = createViewStore();
    const deltas = Array.from({ length: 300 }, (_, i) =>
      createDeltaBuilder({ creator: `c${i % 3}`, host: 'h', timeCreated: 1 + (i % 17) })
        .set(`e${i % 40}`, { [`p${i % 3}`]: i % 7 })
        .build(),
    );
    const negations = deltas
      .filter((_, i) => i % 9 === 0)
      .map((delta) =>
        createDeltaBuilder({ creator: 'c0', host: 'h', timeCreated: 30 }).negate(delta.id).build(),
      );
    for (const store of [small, plain]) store.ingestMany([...negations, ...deltas]);
    expect(small.index.size).toBe(plain.index.size);
    for (let e = 0; e < 40; e++) {
      expect(small.view(`e${e}`)).toEqual(plain.view(`e${e}`));
      expect(small.hyperview(`e${e}`, { asOf: 10 })).toEqual(
        plain.hyperview(`e${e}`, { asOf: 10 }),
      );
    }
    expect([...small.index.entityIds()].sort()).toEqual([...plain.index.entityIds()].sort());
  });
});
