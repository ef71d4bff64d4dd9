import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it, vi } from 'vitest';
import { defineSchema, prop } from './schema.ts';
import type { EntityResolver, Resolver } from './types.ts';
import { createViewStore } from './view-store.ts';

const at = (time: number, creator = 'alice') => createDeltaBuilder({ creator, host: 'h', timeCreated: time });

// Counts resolutions so the tests can tell one per write from one per subscriber.
const createCountingResolver = () => {
  const counter = { calls: 0 };
  const resolver: Resolver<unknown> = {
    name: 'counting-lww',
    resolve: (entries) => {
      counter.calls++;
      return entries.at(-1)?.value;
    },
  };
  return { counter, resolver };
};

const createCountingEntityResolver = () => {
  const counter = { calls: 0 };
  const resolver: EntityResolver<Record<string, unknown>> = {
    name: 'counting-entity',
    resolve: (input) => {
      counter.calls++;
      const out: Record<string, unknown> = {};
      for (const [property, deltas] of input.properties) out[property] = input.valueOf(deltas.at(-1)!, property);
      return out;
    },
  };
  return { counter, resolver };
};

describe('subscription groups', () => {
  it('resolve once per write however many subscribers watch the entity', () => {
    const { counter, resolver } = createCountingResolver();
    const counted = defineSchema({ name: 'counted', properties: { name: prop.string({ resolver }) } });
    const store = createViewStore({ schemas: [counted] });
    store.ingest(at(1).set('a', { name: 'A' }).build());
    const listeners = Array.from({ length: 200 }, () => vi.fn());
    for (const listener of listeners) store.subscribe('a', listener, { schema: counted });

    const before = counter.calls;
    store.ingest(at(2).set('a', { name: 'B' }).build());
    expect(counter.calls - before).toBe(1);
    const views = new Set(listeners.map((listener) => listener.mock.calls[0]?.[0]));
    expect(views.size).toBe(1); // every member gets the same view object
    for (const listener of listeners) expect(listener).toHaveBeenCalledExactlyOnceWith({ name: 'B' }, 'a');

    // A write that loses last-write-wins resolves once more and calls nobody.
    store.ingest(at(0).set('a', { name: 'old' }).build());
    expect(counter.calls - before).toBe(2);
    for (const listener of listeners) expect(listener).toHaveBeenCalledTimes(1);
  });

  it('serialise the view once per write, not once per subscriber', () => {
    // A value whose getter counts how often comparing views walks into it.
    const reads = { count: 0 };
    const probe: Resolver<unknown> = {
      name: 'probe',
      resolve: (entries) => {
        const value = entries.at(-1)?.value;
        return {
          get value() {
            reads.count++;
            return value;
          },
        };
      },
    };
    const probed = defineSchema({ name: 'probed', properties: { name: prop.any({ resolver: probe }) } });
    const store = createViewStore({ schemas: [probed] });
    for (let i = 0; i < 100; i++) store.subscribe('a', () => {}, { schema: probed });
    const before = reads.count;
    store.ingest(at(1).set('a', { name: 'A' }).build());
    expect(reads.count - before).toBe(1);
  });

  it('resolve once per write through an entity resolver too', () => {
    const { counter, resolver } = createCountingEntityResolver();
    const whole = defineSchema({ name: 'whole', properties: {}, entityResolver: resolver });
    const store = createViewStore({ schemas: [whole] });
    const listeners = Array.from({ length: 50 }, () => vi.fn());
    for (const listener of listeners) store.subscribe('a', listener, { schema: whole });
    const before = counter.calls;
    store.ingestMany([at(1).set('a', { x: 1 }).build(), at(2).set('a', { y: 2 }).build()]);
    expect(counter.calls - before).toBe(1);
    for (const listener of listeners) expect(listener).toHaveBeenCalledExactlyOnceWith({ x: 1, y: 2 }, 'a');
  });

  it('keep schemas and entities apart: each group hears only its own changes', () => {
    const { counter, resolver } = createCountingResolver();
    const named = defineSchema({ name: 'named', properties: { name: prop.string({ resolver }) } });
    const aged = defineSchema({ name: 'aged', properties: { age: prop.number() } });
    const store = createViewStore({ schemas: [named, aged] });
    const onNamed = [vi.fn(), vi.fn()];
    const onAged = [vi.fn(), vi.fn()];
    const onAll = [vi.fn(), vi.fn()];
    const onOther = vi.fn();
    for (const listener of onNamed) store.subscribe('a', listener, { schema: named });
    for (const listener of onAged) store.subscribe('a', listener, { schema: aged });
    for (const listener of onAll) store.subscribe('a', listener);
    store.subscribe('b', onOther, { schema: named });

    const before = counter.calls;
    store.ingest(at(1).set('a', { age: 3 }).build());
    // `named` has no delta under `name` that changed: its resolver is not run at all (views are
    // incremental per property); the other groups changed.
    expect(counter.calls - before).toBe(0);
    for (const listener of onNamed) expect(listener).not.toHaveBeenCalled();
    for (const listener of onAged) expect(listener).toHaveBeenCalledExactlyOnceWith({ age: 3 }, 'a');
    for (const listener of onAll) expect(listener).toHaveBeenCalledExactlyOnceWith({ age: 3 }, 'a');

    store.ingest(at(2).set('a', { name: 'A' }).build());
    for (const listener of onNamed) expect(listener).toHaveBeenCalledExactlyOnceWith({ name: 'A' }, 'a');
    for (const listener of onAged) expect(listener).toHaveBeenCalledTimes(1);
    for (const listener of onAll) expect(listener).toHaveBeenLastCalledWith({ age: 3, name: 'A' }, 'a');
    expect(onOther).not.toHaveBeenCalled();
  });

  it('let a listener unsubscribe itself or another member safely', () => {
    const store = createViewStore();
    const calls: string[] = [];
    const unsubscribers: (() => void)[] = [];
    unsubscribers.push(
      store.subscribe('a', () => {
        calls.push('first');
        unsubscribers[0]!();
        unsubscribers[1]!(); // a later member: it must not be called this time either
      }),
    );
    unsubscribers.push(store.subscribe('a', () => calls.push('second')));
    unsubscribers.push(store.subscribe('a', () => calls.push('third')));
    store.ingest(at(1).set('a', { x: 1 }).build());
    expect(calls).toEqual(['first', 'third']);
    store.ingest(at(2).set('a', { x: 2 }).build());
    expect(calls).toEqual(['first', 'third', 'third']);

    // Emptying the group drops it; a new subscriber starts a fresh one.
    unsubscribers[2]!();
    const late = vi.fn();
    store.subscribe('a', late);
    store.ingest(at(3).set('a', { x: 3 }).build());
    expect(late).toHaveBeenCalledExactlyOnceWith({ x: 3 }, 'a');
    expect(calls).toHaveLength(3);
  });

  it('start a late joiner at the current value, so it hears only later changes', () => {
    const store = createViewStore();
    const early = vi.fn();
    store.subscribe('a', early);
    store.ingest(at(1).set('a', { x: 1 }).build());
    const late = vi.fn();
    store.subscribe('a', late);
    store.ingest(at(0).set('a', { x: 0 }).build()); // loses: nobody hears
    expect(early).toHaveBeenCalledTimes(1);
    expect(late).not.toHaveBeenCalled();
    store.ingest(at(2).set('a', { x: 2 }).build());
    expect(early).toHaveBeenLastCalledWith({ x: 2 }, 'a');
    expect(late).toHaveBeenCalledExactlyOnceWith({ x: 2 }, 'a');
  });

  it('let a listener subscribe to a group the same write is about to recheck', () => {
    const store = createViewStore();
    const joined = vi.fn();
    const member = vi.fn();
    store.subscribe('a', member);
    // Subscribes to `a` from `b`'s callback; both change in the same write.
    const unsubscribe = store.subscribe('b', () => {
      store.subscribe('a', joined);
    });
    store.ingestMany([at(1).set('b', { y: 1 }).build(), at(1).set('a', { x: 1 }).build()]);
    unsubscribe();
    // The joiner already started at the new value; the earlier member still hears it.
    expect(member).toHaveBeenCalledExactlyOnceWith({ x: 1 }, 'a');
    expect(joined).not.toHaveBeenCalled();
    store.ingest(at(2).set('a', { x: 2 }).build());
    expect(joined).toHaveBeenCalledExactlyOnceWith({ x: 2 }, 'a');
    expect(member).toHaveBeenCalledTimes(2);
  });

  it('deliver the newest view when a listener writes to the entity it watches', () => {
    const store = createViewStore();
    const seen: [string, unknown][] = [];
    store.subscribe('a', (view) => {
      seen.push(['writer', view]);
      if ((view as { x?: number }).x === 1) store.ingest(at(2).set('a', { x: 2 }).build());
    });
    store.subscribe('a', (view) => seen.push(['reader', view]));
    store.ingest(at(1).set('a', { x: 1 }).build());
    // The reader never sees the superseded value, and sees the newest exactly once.
    expect(seen).toEqual([
      ['writer', { x: 1 }],
      ['writer', { x: 2 }],
      ['reader', { x: 2 }],
    ]);
  });

  it('recheck groups on invalidate, calling only members whose view changed', () => {
    const suffix = { value: '' };
    const { counter, resolver: counting } = createCountingResolver();
    const shouting: Resolver<string> = {
      name: 'shouting',
      resolve: (entries, context) => `${String(counting.resolve(entries, context))}${suffix.value}`,
    };
    const shouted = defineSchema({ name: 'shouted', properties: { name: prop.string({ resolver: shouting }) } });
    const store = createViewStore({ schemas: [shouted] });
    store.ingest(at(1).set('a', { name: 'A' }).build());
    const listeners = Array.from({ length: 20 }, () => vi.fn());
    for (const listener of listeners) store.subscribe('a', listener, { schema: shouted });
    const plain = vi.fn();
    store.subscribe('a', plain);

    suffix.value = '!';
    const before = counter.calls;
    store.invalidate(shouting);
    expect(counter.calls - before).toBe(1);
    for (const listener of listeners) expect(listener).toHaveBeenCalledExactlyOnceWith({ name: 'A!' }, 'a');
    expect(plain).not.toHaveBeenCalled();
    store.invalidate();
    for (const listener of listeners) expect(listener).toHaveBeenCalledTimes(1);
  });

  it('report every listener error after calling the rest of the group', () => {
    const store = createViewStore();
    const after = vi.fn();
    store.subscribe('a', () => {
      throw new Error('boom');
    });
    store.subscribe('a', after);
    expect(() => store.ingest(at(1).set('a', { x: 1 }).build())).toThrow('boom');
    expect(after).toHaveBeenCalledOnce();
  });
});
