import { describe, expect, it } from 'vitest';
import { createDeltaBuilder } from './builder.ts';
import { createClock } from './clock.ts';
import { isRhizomeError } from './errors.ts';
import { computeDeltaId } from './id.ts';
import { parseDelta } from './parse.ts';

const start = () => createDeltaBuilder({ creator: 'alice', host: 'h1', timeCreated: 1000 });

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isRhizomeError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('createDeltaBuilder', () => {
  it('puts two properties of one entity in one delta, each with its own value pointer', () => {
    const delta = start().set('alice', { name: 'Alice', age: 31 }).build();
    expect(delta.pointers).toEqual([
      { localContext: 'entity', target: { id: 'alice' }, targetContext: 'name' },
      { localContext: 'name', target: 'Alice' },
      { localContext: 'entity', target: { id: 'alice' }, targetContext: 'age' },
      { localContext: 'age', target: 31 },
    ]);
    expect(parseDelta(JSON.parse(JSON.stringify(delta)))).toEqual(delta);
    expect(Object.isFrozen(delta)).toBe(true);
  });

  it('sets properties of several entities in one delta', () => {
    const delta = start().set('alice', { city: 'Paris' }).set({ id: 'bob' }, { age: 40 }).build();
    expect(delta.pointers).toEqual([
      { localContext: 'entity', target: { id: 'alice' }, targetContext: 'city' },
      { localContext: 'city', target: 'Paris' },
      { localContext: 'entity', target: { id: 'bob' }, targetContext: 'age' },
      { localContext: 'age', target: 40 },
    ]);
  });

  it('shares one value pointer when entities agree on a value', () => {
    const delta = start().set('alice', { city: 'Paris' }).set('bob', { city: 'Paris' }).build();
    expect(delta.pointers.filter((p) => p.localContext === 'city')).toEqual([{ localContext: 'city', target: 'Paris' }]);
    expect(delta.pointers.filter((p) => p.localContext === 'entity')).toHaveLength(2);
  });

  it('sets every kind of value, including a reference and null', () => {
    const delta = start().set('alice', { employer: { id: 'acme' }, nickname: null, active: true, score: 1.5 }).build();
    expect(delta.pointers.filter((p) => p.localContext !== 'entity')).toEqual([
      { localContext: 'employer', target: { id: 'acme' } },
      { localContext: 'nickname', target: null },
      { localContext: 'active', target: true },
      { localContext: 'score', target: 1.5 },
    ]);
  });

  it('rejects two different values for one property name in one delta', () => {
    const attempt = () => start().set('alice', { name: 'Alice' }).set('bob', { name: 'Bob' });
    expect(attempt).toThrow(/two different values/);
    expect(codeOf(attempt)).toBe('BUILDER_CONFLICT');
    // A string and a reference with the same text are different values too.
    expect(codeOf(() => start().set('a', { boss: 'bob' }).set('c', { boss: { id: 'bob' } }))).toBe('BUILDER_CONFLICT');
    expect(codeOf(() => start().set('a', { n: 1 }).set('c', { n: '1' }))).toBe('BUILDER_CONFLICT');
  });

  it('rejects set() without properties or with an undefined value', () => {
    expect(codeOf(() => start().set('alice', {}))).toBe('BUILDER_INVALID');
    expect(codeOf(() => start().set('alice', { name: undefined as never }))).toBe('BUILDER_INVALID');
  });

  it('relates entities with one reference pointer at each end', () => {
    const delta = start()
      .relate({ entity: 'alice', property: 'employer', role: 'employee' }, { entity: { id: 'acme' }, property: 'employees' })
      .build();
    expect(delta.pointers).toEqual([
      { localContext: 'employee', target: { id: 'alice' }, targetContext: 'employer' },
      { localContext: 'employees', target: { id: 'acme' }, targetContext: 'employees' },
    ]);
  });

  it('relates more than two entities and rejects fewer than two ends', () => {
    const ends = ['a', 'b', 'c'].map((entity) => ({ entity, property: 'members' }));
    expect(start().relate(...ends).build().pointers).toHaveLength(3);
    expect(codeOf(() => start().relate({ entity: 'a', property: 'p' }))).toBe('BUILDER_INVALID');
  });

  it('adds raw pointers as given', () => {
    const delta = start().pointer({ localContext: 'note', target: 'hello' }).build();
    expect(delta.pointers).toEqual([{ localContext: 'note', target: 'hello' }]);
  });

  it('negates a delta with negates → { id } @ negated_by', () => {
    const original = start().set('alice', { name: 'Alice' }).build();
    const negation = start().negate(original.id).build();
    expect(negation.pointers).toEqual([{ localContext: 'negates', target: { id: original.id }, targetContext: 'negated_by' }]);
  });

  it('declares a transaction with _transaction → { id } @ size and a size primitive', () => {
    const delta = start().declareTransaction('tx-1', 3).build();
    expect(delta.pointers).toEqual([
      { localContext: '_transaction', target: { id: 'tx-1' }, targetContext: 'size' },
      { localContext: 'size', target: 3 },
    ]);
  });

  it('rejects a transaction size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) {
      expect(codeOf(() => start().declareTransaction('tx', size))).toBe('BUILDER_INVALID');
    }
  });

  it('rejects a transaction size that conflicts with a property called size', () => {
    expect(codeOf(() => start().set('box', { size: 2 }).declareTransaction('tx', 3))).toBe('BUILDER_CONFLICT');
    expect(start().set('box', { size: 3 }).declareTransaction('tx', 3).build().pointers).toHaveLength(3);
  });

  it('joins a transaction with _transaction → { id } @ deltas', () => {
    const delta = start().inTransaction('tx-1').set('alice', { name: 'Alice' }).build();
    expect(delta.pointers[0]).toEqual({ localContext: '_transaction', target: { id: 'tx-1' }, targetContext: 'deltas' });
  });

  it('returns a copy from pointers()', () => {
    const builder = start().set('alice', { name: 'Alice' });
    const pointers = builder.pointers();
    pointers.push({ localContext: 'x', target: 1 });
    expect(builder.pointers()).toHaveLength(2);
  });

  it('builds a frozen, validated delta whose id matches its content', () => {
    const delta = start().set('alice', { name: 'Alice' }).build();
    expect(delta.id).toBe(computeDeltaId(delta));
    expect(Object.isFrozen(delta.pointers)).toBe(true);
    expect(Object.isFrozen(delta.pointers[0])).toBe(true);
    expect(() => {
      (delta as { creator: string }).creator = 'mallory';
    }).toThrow(TypeError);
  });

  it('can keep being used after build()', () => {
    const builder = start().set('alice', { name: 'Alice' });
    const first = builder.build();
    expect(builder.build().id).toBe(first.id);
    const second = builder.set('alice', { age: 31 }).build();
    expect(second.pointers).toHaveLength(4);
    expect(first.pointers).toHaveLength(2);
  });

  it('takes timeCreated from at(), then the option, then the clock, then Date.now', () => {
    const clock = createClock({ wallClock: () => 5000 });
    expect(createDeltaBuilder({ creator: 'c', host: 'h', clock }).at(7).pointer({ localContext: 'p', target: 1 }).build().timeCreated).toBe(7);
    expect(createDeltaBuilder({ creator: 'c', host: 'h', clock, timeCreated: 9 }).pointer({ localContext: 'p', target: 1 }).build().timeCreated).toBe(9);
    const fromClock = createDeltaBuilder({ creator: 'c', host: 'h', clock }).pointer({ localContext: 'p', target: 1 });
    expect(fromClock.build().timeCreated).toBe(5000);
    expect(fromClock.build().timeCreated).toBe(5001);
    const before = Date.now();
    const fromWall = createDeltaBuilder({ creator: 'c', host: 'h' }).pointer({ localContext: 'p', target: 1 }).build();
    expect(fromWall.timeCreated).toBeGreaterThanOrEqual(before);
  });

  it('reports invalid content with the validation codes', () => {
    expect(codeOf(() => start().build())).toBe('DELTA_INVALID');
    expect(codeOf(() => start().pointer({ localContext: '', target: 1 }).build())).toBe('POINTER_INVALID');
    expect(codeOf(() => start().at(-5).pointer({ localContext: 'p', target: 1 }).build())).toBe('DELTA_INVALID');
    expect(codeOf(() => createDeltaBuilder({ creator: '', host: 'h', timeCreated: 1 }).pointer({ localContext: 'p', target: 1 }).build())).toBe(
      'DELTA_INVALID',
    );
  });
});
