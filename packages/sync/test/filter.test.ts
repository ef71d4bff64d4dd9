import { createDeltaBuilder, type Delta } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createMemorySyncStore } from '../src/memory-store.ts';
import { createHarness, idsOf } from './harness.ts';

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

  it('resumes a filtered link from its cursor and receives negations written while it was down', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    let b = node('b');
    const target = set('e1', 1);
    await a.store.appendBatch([target, set('e2', 1)]);
    let link = network.link(b, a, { a: { filter: { entities: ['e1'] } } });
    await scheduler.advance(100);
    expect(idsOf(b.store)).toEqual([target.id]);
    link.stop();
    b.close();

    // While b is away: a negation of what b holds, a negation of that negation, a negation that
    // reaches a before the matching delta it negates, and unrelated traffic.
    const negation = negate(target);
    const ofNegation = negate(negation);
    const later = set('e1', 2);
    const early = negate(later);
    await a.store.appendBatch([negation, set('e2', 2), early]);
    await a.store.appendBatch([ofNegation, later, negate(set('e2', 3))]);

    b = node('b', { store: b.store });
    link = network.link(b, a, { a: { filter: { entities: ['e1'] } } });
    await scheduler.advance(100);
    expect(idsOf(b.store)).toEqual([target, negation, ofNegation, later, early].map((d) => d.id).sort());
    // From its cursor: nothing it held came again, and no reconciliation was needed.
    expect(b.peers()[0]!.stats).toMatchObject({ deltasReceived: 4, deltasStored: 4, reconciliations: 0 });
    expect((await b.store.getCursor('a'))?.seq).toBe(a.store.size);
    link.stop();
  });

  it('sends negations of the puller\'s own deltas, transitively, though they do not match its filter', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    const b = node('b');
    const filter = { entities: ['e1'], ownHosts: ['host-b'] };
    network.link(b, a, { a: { filter } });
    await scheduler.advance(50);
    // b writes outside its filter; a gets it in full (a's pull of b is not filtered).
    const mine = createDeltaBuilder({ host: 'host-b', creator: 'bob', timeCreated: clock++ }).set('e9', { v: 1 }).build();
    const early = createDeltaBuilder({ host: 'host-b', creator: 'bob', timeCreated: clock++ }).set('e8', { v: 1 }).build();
    await b.store.appendBatch([mine]);
    await scheduler.advance(50);
    expect(a.store.has(mine.id)).toBe(true);
    // Someone on a negates it, and negates the negation; a negation of another own delta reaches
    // a before that delta does.
    const negation = negate(mine);
    const ofNegation = negate(negation);
    const beforeTarget = negate(early);
    await a.store.appendBatch([negation, set('e7', 1), beforeTarget]);
    await scheduler.advance(50);
    await a.store.appendBatch([ofNegation]);
    await scheduler.advance(50);
    expect(b.store.has(negation.id) && b.store.has(ofNegation.id)).toBe(true);
    expect(b.store.has(beforeTarget.id)).toBe(false);
    await b.store.appendBatch([early]);
    await scheduler.advance(100);
    expect(idsOf(b.store)).toEqual([mine, early, negation, ofNegation, beforeTarget].map((d) => d.id).sort());
    // Nothing b wrote came back to it.
    expect(b.peers()[0]!.stats.deltasReceived).toBe(3);
  });

  it('is refused by a node whose store cannot find negations', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a', { store: { ...createMemorySyncStore({ feedId: 'f' }), negationsOf: undefined } as never });
    const b = node('b');
    const [toA, fromB] = network.createPair('b', 'a');
    const session = b.attach(toA, { filter: { entities: ['e1'] } });
    a.attach(fromB);
    await scheduler.advance(50);
    expect(session.snapshot()).toMatchObject({ state: 'closed', lastError: { code: 'SYNC_FILTER_UNSUPPORTED' } });
  });
});
