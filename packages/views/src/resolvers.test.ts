import { createDeltaBuilder, isRhizomeError } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createResolver } from './resolvers.ts';
import type { ResolverEntry, Value } from './types.ts';

let n = 0;
const entry = (value: Value, time: number, creator = 'c', host = 'h'): ResolverEntry => ({
  delta: createDeltaBuilder({ creator, host, timeCreated: time }).set('e', { p: `${n++}` }).build(),
  value,
});
const context = { entityId: 'e', property: 'p' };
const run = (spec: Parameters<typeof createResolver>[0], entries: ResolverEntry[]) =>
  createResolver(spec).resolve(entries, context);

describe('built-in resolvers', () => {
  const entries = [entry(3, 1), entry('x', 2), entry(1, 3), entry(true, 4), entry(5, 5), entry('y', 6)];

  it('resolve as documented; aggregations skip non-numeric values', () => {
    expect(run('lww', entries)).toBe('y');
    expect(run('fww', entries)).toBe(3);
    expect(run('min', entries)).toBe(1);
    expect(run('max', entries)).toBe(5);
    expect(run('sum', entries)).toBe(9);
    expect(run('average', entries)).toBe(3);
    expect(run('count', entries)).toBe(6);
    expect(run('concat', entries)).toBe('xy');
    expect(run({ kind: 'concat', separator: '/' }, entries)).toBe('x/y');
    expect(run('set', [...entries, entry(3, 7)])).toEqual([3, 'x', 1, true, 5, 'y']);
    expect(run('list', [...entries, entry(3, 7)])).toEqual([3, 'x', 1, true, 5, 'y', 3]);
  });

  it('gives no value (or zero, or empty) for nothing to resolve', () => {
    for (const name of ['lww', 'fww', 'min', 'max', 'average', 'concat', 'majority'] as const) {
      expect(run(name, [])).toBeUndefined();
    }
    expect(run('sum', [])).toBe(0);
    expect(run('count', [])).toBe(0);
    expect(run('set', [])).toEqual([]);
    expect(run('list', [])).toEqual([]);
    expect(run('average', [entry('a', 1)])).toBeUndefined();
  });

  it('does not depend on the order of its input', () => {
    const reversed = [...entries].reverse();
    for (const name of ['lww', 'fww', 'min', 'max', 'sum', 'count', 'concat', 'majority', 'set', 'list'] as const) {
      expect(run(name, reversed)).toEqual(run(name, entries));
    }
  });

  it('majority counts distinct values; a tie goes to the earliest first delta', () => {
    expect(run('majority', [entry('b', 1), entry('a', 2), entry('a', 3)])).toBe('a');
    expect(run('majority', [entry('b', 2), entry('a', 1), entry('b', 3), entry('a', 4)])).toBe('a');
    expect(run('majority', [entry({ id: 'r' }, 2), entry({ id: 'r' }, 3), entry({ id: 's' }, 1)])).toEqual({ id: 'r' });
  });

  it('last-write-wins tie-breaks: id by default, then creator, host or value', () => {
    const a = entry('a', 1, 'zed', 'h1');
    const b = entry('b', 1, 'amy', 'h2');
    const byId = a.delta.id > b.delta.id ? 'a' : 'b';
    expect(run('lww', [a, b])).toBe(byId);
    expect(run({ kind: 'lww', tieBreak: 'creator' }, [a, b])).toBe('a');
    expect(run({ kind: 'lww', tieBreak: 'host' }, [a, b])).toBe('b');
    expect(run({ kind: 'lww', tieBreak: 'value' }, [b, a])).toBe('b');
    expect(run({ kind: 'lww', tieBreak: 'creator' }, [a, entry('late', 2, 'amy')])).toBe('late');
  });

  it('rejects unknown resolvers with RESOLVER_INVALID', () => {
    expect(() => createResolver('median' as never)).toThrow(expect.objectContaining({ code: 'RESOLVER_INVALID' }));
    try {
      createResolver({ kind: 'lww', tieBreak: 'moon' as never });
    } catch (error) {
      expect(isRhizomeError(error, 'RESOLVER_INVALID')).toBe(true);
    }
  });

  it('accepts a custom resolver as is', () => {
    const longest = { name: 'longest', resolve: (es: readonly ResolverEntry[]) => es.map((e) => String(e.value)).sort((x, y) => y.length - x.length)[0] };
    expect(run(longest, [entry('ab', 1), entry('abc', 2)])).toBe('abc');
  });
});
