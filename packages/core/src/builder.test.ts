import { describe, expect, it } from 'vitest';
import { createDeltaBuilder } from './builder.ts';
import { parseDelta } from './parse.ts';
import { isRhizomeError } from './errors.ts';

describe('createDeltaBuilder', () => {
  const start = () => createDeltaBuilder({ creator: 'alice', host: 'h1', timeCreated: 1000 });

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

  it('rejects two different values for one property name in one delta', () => {
    const attempt = () => start().set('alice', { name: 'Alice' }).set('bob', { name: 'Bob' });
    expect(attempt).toThrow(/two different values/);
    try {
      attempt();
    } catch (error) {
      expect(isRhizomeError(error, 'BUILDER_CONFLICT')).toBe(true);
    }
  });
});
