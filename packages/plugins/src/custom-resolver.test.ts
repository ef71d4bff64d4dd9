import { isRhizomeError, type Delta, type RhizomeError } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { at, createReplica, negate, set } from '../test/support/deltas.ts';
import { lastWriteWins } from './builtins/last-write-wins.ts';
import { createCustomResolver } from './custom-resolver.ts';
import { PluginErrorCode } from './errors.ts';
import type { ResolverPlugin, TraceEvent } from './types.ts';

/** Discount in percent, turned into money *while updating*, from the injected resolved price. */
function discountAmount(): ResolverPlugin<
  { percent: number | undefined; amount: number | undefined },
  number | undefined
> {
  return {
    name: 'test/discount',
    version: '1.0.0',
    property: 'discount',
    dependsOn: ['price'],
    initialize: () => ({ percent: undefined, amount: undefined }),
    update(state, value, _delta, deps) {
      const price = deps['price'];
      const percent = typeof value === 'number' ? value : state.percent;
      return {
        percent,
        amount:
          typeof price === 'number' && percent !== undefined ? (price * percent) / 100 : undefined,
      };
    },
    resolve: (state) => state.amount,
  };
}

/** Reads nothing: total = price − discount, from dependency values only. */
function total(): ResolverPlugin<null, number | undefined> {
  return {
    name: 'test/total',
    version: '1.0.0',
    property: 'total',
    reads: [],
    dependsOn: ['price', 'discount'],
    usesDependenciesInUpdate: false,
    initialize: () => null,
    update: (state) => state,
    resolve: (_state, deps) =>
      typeof deps['price'] === 'number'
        ? deps['price'] - ((deps['discount'] as number | undefined) ?? 0)
        : undefined,
  };
}

const pricing = () =>
  createCustomResolver([total(), discountAmount(), lastWriteWins({ property: 'price' })]);

describe('dependency injection: the discount/price scenario', () => {
  const price = set(1, 'p1', { price: 200 });
  const discount = set(2, 'p1', { discount: 10 });

  it.each([
    ['price first', [price, discount]],
    ['discount first', [discount, price]],
  ])('gives the right total with the %s', (_name, order) => {
    const replica = createReplica(pricing(), 'p1');
    for (const delta of order) replica.receive(delta);
    expect(replica.view()).toEqual({ price: 200, discount: 20, total: 180 });
  });

  it('follows a price change and a negated price', () => {
    const replica = createReplica(pricing(), 'p1');
    replica.receive(price, discount);
    const newPrice = set(3, 'p1', { price: 300 });
    replica.receive(newPrice);
    expect(replica.view()).toEqual({ price: 300, discount: 30, total: 270 });
    replica.receive(negate(4, newPrice));
    expect(replica.view()).toEqual({ price: 200, discount: 20, total: 180 });
  });

  it('injects a plain property that has no plugin', () => {
    const taxed: ResolverPlugin<null, number | undefined> = {
      name: 'test/taxed',
      version: '1.0.0',
      property: 'taxed',
      reads: [],
      dependsOn: [{ property: 'net' }, { property: 'rate' }],
      initialize: () => null,
      update: (state) => state,
      resolve: (_state, deps) =>
        typeof deps['net'] === 'number'
          ? deps['net'] * (1 + ((deps['rate'] as number | undefined) ?? 0))
          : undefined,
    };
    const resolver = createCustomResolver([taxed]);
    expect(resolver.resolve('p', [set(1, 'p', { net: 100 }), set(2, 'p', { rate: 0.5 })])).toEqual({
      taxed: 150,
    });
    // Plain-property inputs are read but not part of the output.
    expect(resolver.order).toEqual(['taxed']);
  });
});

describe('optional dependencies', () => {
  it('injects an optional dependency that is present, and undefined once it resolves to nothing', () => {
    const label: ResolverPlugin<null, string> = {
      name: 'test/label',
      version: '1.0.0',
      property: 'label',
      reads: [],
      dependsOn: [{ plugin: 'nickname', optional: true }, { property: 'name' }],
      usesDependenciesInUpdate: false,
      initialize: () => null,
      update: (state) => state,
      resolve: (_state, deps) => String(deps['nickname'] ?? deps['name'] ?? 'anonymous'),
    };
    const resolver = createCustomResolver([label, lastWriteWins({ property: 'nickname' })]);
    expect(resolver.order).toEqual(['nickname', 'label']);
    const nickname = set(2, 'u', { nickname: 'Ace' });
    const replica = createReplica(resolver, 'u');
    replica.receive(set(1, 'u', { name: 'Ada' }));
    expect(replica.view()).toEqual({ nickname: undefined, label: 'Ada' });
    replica.receive(nickname);
    expect(replica.view()).toEqual({ nickname: 'Ace', label: 'Ace' });
    replica.receive(negate(3, nickname));
    expect(replica.view()).toEqual({ nickname: undefined, label: 'Ada' });
  });
});

describe('execution', () => {
  it('runs each plugin once per update, in dependency order, resolving each at most once', () => {
    const calls: string[] = [];
    const spy = (property: string, dependsOn: string[]): ResolverPlugin<number, number> => ({
      name: `spy/${property}`,
      version: '1.0.0',
      property,
      reads: ['input'],
      dependsOn,
      usesDependenciesInUpdate: false,
      initialize: () => 0,
      update: (state, value) => {
        calls.push(`update ${property}`);
        return state + (value as number);
      },
      resolve: (state, deps) => {
        calls.push(`resolve ${property}`);
        return (
          state + Object.values(deps).reduce<number>((sum, value) => sum + (value as number), 0)
        );
      },
    });
    const resolver = createCustomResolver([
      spy('d', ['b', 'c']),
      spy('c', ['a']),
      spy('b', ['a']),
      spy('a', []),
    ]);
    const entity = resolver.createEntity('e');
    entity.view();
    calls.length = 0;
    entity.apply({ visible: [set(1, 'e', { input: 1 })] });
    entity.view();
    const updates = calls.filter((call) => call.startsWith('update'));
    const resolves = calls.filter((call) => call.startsWith('resolve'));
    expect(updates).toEqual(['update a', 'update b', 'update c', 'update d']);
    expect(resolves.sort()).toEqual(['resolve a', 'resolve b', 'resolve c', 'resolve d']);
    expect(entity.view()).toEqual({ a: 1, b: 2, c: 2, d: 5 });
  });

  it('resolves a completed transaction with two values for one property deterministically', () => {
    const declaration = at(5).declareTransaction('tx1', 2).build();
    const first = at(10).set('e', { name: 'Ada' }).inTransaction('tx1').build();
    const second = at(10).set('e', { name: 'Grace' }).inTransaction('tx1').build();
    const expected = [first, second].sort((a, b) => (a.id < b.id ? -1 : 1))[1]!;
    const winner = valueOfName(expected);
    const resolver = createCustomResolver([lastWriteWins({ property: 'name' })]);
    for (const batch of [
      [first, second],
      [second, first],
    ]) {
      const entity = resolver.createEntity('e');
      expect(() => entity.apply({ visible: [declaration, ...batch] })).not.toThrow();
      expect(entity.view()).toEqual({ name: winner });
    }
  });

  it('never lets a throwing plugin escape ingest; it reports PLUGIN_FAILED and skips the delta', () => {
    const errors: RhizomeError[] = [];
    const fragile: ResolverPlugin<number, number> = {
      name: 'test/fragile',
      version: '1.0.0',
      property: 'n',
      initialize: () => 0,
      update: (state, value) => {
        if (value === 'boom') throw new Error('boom');
        return state + 1;
      },
      resolve: (state) => state,
    };
    const resolver = createCustomResolver([fragile], { onError: (error) => errors.push(error) });
    const entity = resolver.createEntity('e');
    expect(() =>
      entity.apply({ visible: [set(1, 'e', { n: 'boom' }), set(2, 'e', { n: 'fine' })] }),
    ).not.toThrow();
    expect(entity.view()).toEqual({ n: 1 });
    expect(errors).toHaveLength(1);
    expect(isRhizomeError(errors[0], PluginErrorCode.PluginFailed)).toBe(true);
    expect(errors[0]!.message).toContain('test/fragile');
  });

  it('is idempotent: re-applying the same deltas changes nothing', () => {
    let updates = 0;
    const counting = { ...lastWriteWins({ property: 'x' }) };
    const inner = counting.update;
    counting.update = (...args) => {
      updates += 1;
      return inner(...args);
    };
    const entity = createCustomResolver([counting]).createEntity('e');
    const delta = set(1, 'e', { x: 1 });
    entity.apply({ visible: [delta] });
    entity.apply({ visible: [delta, delta] });
    expect(updates).toBe(1);
  });
});

describe('negated deltas and tombstones', () => {
  const recorder = (keepsTombstones: boolean, calls: string[]): ResolverPlugin<null, null> => ({
    name: 'test/recorder',
    version: '1.0.0',
    property: 'x',
    keepsTombstones,
    initialize: () => null,
    update: (state, value) => (calls.push(`update ${String(value)}`), state),
    remove: (state, value) => (calls.push(`remove ${String(value)}`), state),
    resolve: () => null,
  });

  it('gives a delta that arrives already negated only to plugins that keep tombstones', () => {
    const delta = set(1, 'e', { x: 'gone' });
    const plain: string[] = [];
    createCustomResolver([recorder(false, plain)])
      .createEntity('e')
      .apply({ negated: [delta] });
    expect(plain).toEqual([]);
    const tombstones: string[] = [];
    const resolver = createCustomResolver([recorder(true, tombstones)]);
    expect(resolver.needsNegatedDeltas).toBe(true);
    resolver.createEntity('e').apply({ negated: [delta] });
    expect(tombstones).toEqual(['update gone', 'remove gone']);
  });

  it('sends a visible delta that gets negated to remove, then back to update when restored', () => {
    const delta = set(1, 'e', { x: 'v' });
    const calls: string[] = [];
    const entity = createCustomResolver([recorder(false, calls)]).createEntity('e');
    entity.apply({ visible: [delta] });
    entity.apply({ negated: [delta] });
    entity.apply({ visible: [delta] });
    expect(calls).toEqual(['update v', 'remove v', 'update v']);
    expect(entity.visibleDeltas()).toEqual([delta]);
    expect(entity.negatedDeltas()).toEqual([]);
  });
});

describe('debug tracing', () => {
  it('reports order, inputs and outputs per plugin to a sink', () => {
    const events: TraceEvent[] = [];
    const resolver = createCustomResolver(
      [total(), discountAmount(), lastWriteWins({ property: 'price' })],
      {
        trace: (event) => events.push(event),
      },
    );
    resolver.resolve('p1', [set(1, 'p1', { price: 10 })]);
    expect(events[0]).toEqual({ kind: 'order', order: ['price', 'discount', 'total'] });
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'update', property: 'price', input: 10 }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'resolve', property: 'total', output: 10 }),
    );
  });

  it('is off unless asked for, and then builds no events', () => {
    let touched = false;
    const original = process.env['DEBUG'];
    delete process.env['DEBUG'];
    try {
      const resolver = createCustomResolver([lastWriteWins({ property: 'x' })]);
      const spyConsole = console.error;
      console.error = () => {
        touched = true;
      };
      try {
        resolver.resolve('e', [set(1, 'e', { x: 1 })]);
      } finally {
        console.error = spyConsole;
      }
    } finally {
      if (original !== undefined) process.env['DEBUG'] = original;
    }
    expect(touched).toBe(false);
  });

  it('turns on with DEBUG=rhizome:*', () => {
    const lines: string[] = [];
    const original = process.env['DEBUG'];
    const spyConsole = console.error;
    process.env['DEBUG'] = 'other,rhizome:*';
    console.error = (line: string) => lines.push(line);
    try {
      createCustomResolver([lastWriteWins({ property: 'x' })]).resolve('e', [
        set(1, 'e', { x: 1 }),
      ]);
    } finally {
      console.error = spyConsole;
      if (original === undefined) delete process.env['DEBUG'];
      else process.env['DEBUG'] = original;
    }
    expect(lines[0]).toMatch(/^rhizome:plugins order/);
    expect(lines.some((line) => line.includes('update'))).toBe(true);
  });
});

function valueOfName(delta: Delta): unknown {
  return delta.pointers.find((pointer) => pointer.localContext === 'name')!.target;
}
