import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createSyncStoreFromDeltaStore } from '../src/delta-store-adapter.ts';
import { createHarness, idsOf } from './harness.ts';
import { createFakeDeltaStore } from './support/fake-delta-store.ts';

let clock = 1_000;
const build = () => createDeltaBuilder({ host: 'h', creator: 'alice', timeCreated: clock++ });
const set = (entity: string, value: number): Delta => build().set(entity, { value }).build();
const negate = (delta: Delta): Delta => build().negate(delta.id).build();

describe('per-link filters', () => {
  it('replicates matching deltas and every negation of them, transitively, even out of order', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    const b = node('b');
    const e1 = [set('e1', 1), set('e1', 2)];
    const e2 = [set('e2', 1)];
    const late = set('e1', 3);
    const lateNegation = negate(late);
    // a learnt of lateNegation before the delta it negates: it sits earlier in a's feed.
    await a.store.appendBatch([...e1, ...e2, lateNegation, late]);
    network.link(b, a, { a: { filter: { entities: ['e1'] } } });
    await scheduler.advance(100);
    expect(idsOf(b.store)).toEqual([...e1, late, lateNegation].map((d) => d.id).sort());

    // Live: a negation of a matching delta, a negation of that negation, and one of e2.
    const n1 = negate(e1[0]!);
    const n2 = negate(n1);
    const other = negate(e2[0]!);
    await a.store.appendBatch([n1]);
    await scheduler.advance(20);
    await a.store.appendBatch([other, n2]);
    await scheduler.advance(100);
    expect(b.store.has(n1.id) && b.store.has(n2.id)).toBe(true);
    expect(b.store.has(other.id) || b.store.has(e2[0]!.id)).toBe(false);
    // b's own writes still reach a in full: the filter is b's pull only.
    await b.store.appendBatch([set('e9', 9)]);
    await scheduler.advance(50);
    expect(a.store.size).toBe(9);
  });

  it('sends a negation that arrived before the delta it negates once that delta arrives', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    const b = node('b');
    const target = set('e1', 7);
    const negation = negate(target);
    const ofNegation = negate(negation);
    // a holds the negations but not yet their target: nothing says they concern e1.
    await a.store.appendBatch([negation, ofNegation]);
    network.link(b, a, { a: { filter: { entities: ['e1'] } } });
    await scheduler.advance(1_500);
    expect(b.store.size).toBe(0);
    expect((await b.store.getCursor('a'))?.seq).toBe(2);
    // The target arrives later; the negations, long behind b's cursor, travel with it.
    await a.store.appendBatch([target]);
    await scheduler.advance(100);
    expect(idsOf(b.store)).toEqual([target, negation, ofNegation].map((d) => d.id).sort());
  });

  it('keeps a cursor per filter: the same filter resumes, a new one pulls again', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    let b = node('b');
    await a.store.appendBatch([set('e1', 1), set('e2', 2), set('e1', 3)]);
    let link = network.link(b, a, { a: { filter: { entities: ['e1'] } } });
    await scheduler.advance(100);
    expect(b.store.size).toBe(2);
    expect(await b.store.getCursor('a')).toMatchObject({ seq: 3, filter: '{"entities":["e1"]}' });

    const restart = async (filter: { entities: string[] }) => {
      link.stop();
      b.close();
      b = node('b', { store: b.store });
      link = network.link(b, a, { a: { filter } });
      await scheduler.advance(100);
      return b.peers()[0]!;
    };
    await a.store.appendBatch([set('e1', 4)]);
    expect((await restart({ entities: ['e1'] })).stats.deltasReceived).toBe(1);
    const widened = await restart({ entities: ['e2', 'e1'] });
    expect(widened.stats).toMatchObject({ deltasReceived: 4, deltasStored: 1, reconciliations: 0 });
    expect(b.store.size).toBe(4);
  });

  it('is refused by a node whose store cannot find negations', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a', { store: createSyncStoreFromDeltaStore(createFakeDeltaStore(), { feedId: 'f', scheduler }) as never });
    const b = node('b');
    const [toA, fromB] = network.createPair('b', 'a');
    const session = b.attach(toA, { filter: { entities: ['e1'] } });
    a.attach(fromB);
    await scheduler.advance(50);
    expect(session.snapshot()).toMatchObject({ state: 'closed', lastError: { code: 'SYNC_FILTER_UNSUPPORTED' } });
  });
});
