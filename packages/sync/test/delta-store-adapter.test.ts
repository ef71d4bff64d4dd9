import { createDeltaBuilder, type Delta, type DeltaId } from '@rhizome/core';
import { createMemoryStore, type DeltaStore } from '@rhizome/storage';
import { describe, expect, it } from 'vitest';
import { createSyncStoreFromDeltaStore, type DeltaStoreLike } from '../src/delta-store-adapter.ts';
import type { FeedEntry } from '../src/store.ts';
import { generateDeltas } from './fixtures.ts';
import { createHarness, idsOf } from './harness.ts';

// The real contract must fit the adapter's structural view of it; this fails to compile if not.
const fits = (store: DeltaStore): DeltaStoreLike => store;

const idsIn = async (store: DeltaStore): Promise<string[]> => {
  const page = await store.changes({ after: 0, limit: 10_000 });
  return page.entries.map((entry) => entry.delta.id).sort();
};

describe('SyncStore adapter over a @rhizome/storage DeltaStore', () => {
  it('answers feed reads at the live edge from the newest entries, without asking the store', async () => {
    const deltaStore = createMemoryStore();
    await deltaStore.append(generateDeltas(5, 1, 'old'));
    let reads = 0;
    const counted: DeltaStore = {
      ...deltaStore,
      changes: (query) => {
        reads++;
        return deltaStore.changes(query);
      },
    };
    const adapted = createSyncStoreFromDeltaStore(fits(counted), { maxRecentEntries: 4 });
    const stop = adapted.onAppend(() => {});
    const fresh = generateDeltas(6, 2, 'new');
    for (const delta of fresh) await deltaStore.append([delta]);
    // Appended before anyone listened: only the store has them.
    expect((await adapted.changesSince(0, 100)).map((entry) => entry.seq)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect(reads).toBe(1);
    // 6 reported, 4 kept at least (dropped in chunks past twice that): from seq 7 on, all held.
    expect((await adapted.changesSince(7, 2)).map((entry) => entry.seq)).toEqual([8, 9]);
    expect((await adapted.changesSince(11, 100)).map((entry) => entry.seq)).toEqual([]);
    expect(reads).toBe(1);
    for (const delta of generateDeltas(4, 3, 'more')) await deltaStore.append([delta]);
    // Past 2 × 4 entries the oldest were dropped: reads before them go to the store again.
    expect((await adapted.changesSince(6, 100)).map((entry) => entry.seq)).toEqual([
      7, 8, 9, 10, 11, 12, 13, 14, 15,
    ]);
    expect(reads).toBe(2);
    expect((await adapted.changesSince(12, 100)).map((entry) => entry.seq)).toEqual([13, 14, 15]);
    expect(reads).toBe(2);
    stop();
    // Nobody listens: nothing is kept, the store answers.
    await adapted.changesSince(12, 100);
    expect(reads).toBe(3);
  });

  it('pages ids after a bound for a reconciliation that keeps no per-delta memory', async () => {
    const deltaStore = createMemoryStore();
    await deltaStore.append(generateDeltas(250, 1, 'scan'));
    const adapted = createSyncStoreFromDeltaStore(fits(deltaStore));
    const all = [...(await adapted.listIds())];
    const scanned: string[] = [];
    for (let after: string | undefined; ;) {
      const page = await adapted.scanIds!(after, 64);
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(64);
      scanned.push(...page);
      after = page.at(-1);
    }
    expect(scanned).toEqual(all);
    expect(await adapted.scanIds!(all[9], 3)).toEqual(all.slice(10, 13));
  });

  it('syncs with a node on another store, pushing writes made straight to the DeltaStore at once', async () => {
    const { scheduler, network, node } = createHarness();
    const deltaStore = createMemoryStore();
    await deltaStore.append(generateDeltas(300, 1, 'before'));
    const adapted = createSyncStoreFromDeltaStore(fits(deltaStore));
    expect(await adapted.feedId()).toBe(await deltaStore.feedId());
    const a = node('a', { store: adapted as never });
    const b = node('b');
    await b.store.appendBatch(generateDeltas(200, 2, 'b'));
    // Some data both already hold: reconciliation must not send it again.
    await b.store.appendBatch(generateDeltas(300, 1, 'before').slice(0, 50));
    network.link(a, b);
    expect(
      await scheduler.runUntil(
        () => b.store.size === 500 && a.peers()[0]?.stats.deltasStored === 200,
        5_000,
      ),
    ).toBe(true);
    expect(a.peers()[0]!.stats.deltasReceived).toBe(200);
    expect(b.peers()[0]!.stats.deltasReceived).toBe(250);

    // The API writes to the DeltaStore directly; its onAppend reaches b with no polling: a few
    // virtual milliseconds of network delivery are enough.
    await deltaStore.append(generateDeltas(7, 3, 'direct'));
    expect(await scheduler.runUntil(() => b.store.size === 507, 50)).toBe(true);
    expect(await idsIn(deltaStore)).toEqual(idsOf(b.store));
    // Cursors live in the DeltaStore.
    expect((await deltaStore.getPeerCursor('b'))?.feedId).toBe('feed-b');
    const bCursor = await b.store.getCursor('a');
    expect(bCursor).toMatchObject({
      feedId: await deltaStore.feedId(),
      seq: (await deltaStore.counts()).lastSeq,
    });
    adapted.stop();
  });

  it('serves a filtered link with negations found by the store', async () => {
    const deltaStore = createMemoryStore();
    const { scheduler, network, node } = createHarness();
    const adapted = createSyncStoreFromDeltaStore(deltaStore);
    const a = node('a', { store: adapted as never });
    const b = node('b');
    const build = () => createDeltaBuilder({ host: 'h', creator: 'c', timeCreated: 5 });
    const target = build().set('e1', { v: 1 }).build();
    const negation = build().negate(target.id).build();
    const unrelated = build().set('e2', { v: 2 }).build();
    await deltaStore.append([negation, unrelated]);
    network.link(b, a, { a: { filter: { entities: ['e1'] } } });
    await scheduler.advance(200);
    expect(b.store.size).toBe(0);
    await deltaStore.append([target]);
    await scheduler.advance(300);
    expect(idsOf(b.store)).toEqual([target.id, negation.id].sort());
    adapted.stop();
  });

  it('routes inbound deltas through `append`, learns of them from the store, and tags them with their origin', async () => {
    const deltaStore = createMemoryStore();
    const routed: DeltaId[][] = [];
    // What a server's node does: its own bookkeeping, then the same store's append.
    const adapted = createSyncStoreFromDeltaStore(deltaStore, {
      append: async (deltas) => {
        routed.push(deltas.map((delta) => delta.id));
        return deltaStore.append(deltas);
      },
    });
    const heard: FeedEntry[] = [];
    const unsubscribe = adapted.onAppend((entries) => heard.push(...entries));
    const fromPeer = generateDeltas(5, 4, 'peer');
    const local = generateDeltas(3, 5, 'local');

    expect(await adapted.appendBatch(fromPeer.slice(0, 3), { origin: 'peer-x' })).toEqual(
      fromPeer.slice(0, 3).map((d) => d.id),
    );
    await deltaStore.append(local);
    // A batch the node finds partly stored already: only the new ones are reported.
    expect(await adapted.appendBatch(fromPeer, { origin: 'peer-y' })).toEqual(
      fromPeer.slice(3).map((d) => d.id),
    );
    expect(routed).toEqual([fromPeer.slice(0, 3).map((d) => d.id), fromPeer.map((d) => d.id)]);

    expect(heard.map((entry) => [entry.delta.id, entry.origin])).toEqual([
      ...fromPeer.slice(0, 3).map((d) => [d.id, 'peer-x']),
      ...local.map((d) => [d.id, undefined]),
      ...fromPeer.slice(3).map((d) => [d.id, 'peer-y']),
    ]);
    expect(heard.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The feed read later carries the same origins.
    expect((await adapted.changesSince(0, 100)).map((entry) => entry.origin)).toEqual(
      heard.map((entry) => entry.origin),
    );

    unsubscribe();
    await deltaStore.append(generateDeltas(2, 6, 'after'));
    expect(heard).toHaveLength(8);
  });

  it('does not echo deltas back to the peer they came from when they arrive through `append`', async () => {
    const { scheduler, network, node } = createHarness();
    const deltaStore = createMemoryStore();
    const adapted = createSyncStoreFromDeltaStore(deltaStore, {
      append: (deltas) => deltaStore.append(deltas),
    });
    const a = node('a', { store: adapted as never });
    const b = node('b');
    const c = node('c');
    network.link(a, b);
    network.link(a, c);
    await scheduler.advance(100);
    await b.store.appendBatch(generateDeltas(20, 7, 'from-b'));
    expect(await scheduler.runUntil(() => c.store.size === 20, 2_000)).toBe(true);
    const toB = b.peers()[0]!.stats;
    expect(toB.deltasReceived).toBe(0);
    expect(c.peers()[0]!.stats.deltasReceived).toBe(20);
    adapted.stop();
  });

  it('stops telling listeners about appends after stop()', async () => {
    const deltaStore = createMemoryStore();
    const adapted = createSyncStoreFromDeltaStore(deltaStore);
    const heard: number[] = [];
    adapted.onAppend((entries) => heard.push(entries.length));
    await deltaStore.append(generateDeltas(2, 8, 'one'));
    adapted.stop();
    await deltaStore.append(generateDeltas(2, 9, 'two'));
    adapted.onAppend((entries) => heard.push(entries.length));
    await deltaStore.append(generateDeltas(2, 10, 'three'));
    expect(heard).toEqual([2]);
  });

  it('pages through the store for id ranges, changes and negations larger than one storage page', async () => {
    const deltaStore = createMemoryStore();
    const build = (i: number) =>
      createDeltaBuilder({ host: 'h', creator: 'c', timeCreated: i })
        .set(`e${i % 100}`, { i })
        .build();
    const target = createDeltaBuilder({ host: 'h', creator: 'c', timeCreated: 0 })
      .set('target', { v: 0 })
      .build();
    const deltas: Delta[] = [target];
    for (let i = 0; i < 50_010; i++)
      deltas.push(
        i < 50_005
          ? build(i)
          : createDeltaBuilder({ host: 'h', creator: 'c', timeCreated: i })
              .negate(target.id)
              .build(),
      );
    await deltaStore.append(deltas.slice(0, 30_000));
    await deltaStore.append(deltas.slice(30_000));
    const adapted = createSyncStoreFromDeltaStore(deltaStore);
    const sorted = deltas.map((d) => d.id).sort();

    expect(await adapted.listIds()).toEqual(sorted);
    expect(await adapted.listIds(sorted[3], sorted[50_009])).toEqual(sorted.slice(3, 50_009));
    expect(await adapted.listIds(sorted[50_000])).toEqual(sorted.slice(50_000));
    expect((await adapted.changesSince(2, 60_000)).map((entry) => entry.delta.id)).toEqual(
      deltas.slice(2).map((d) => d.id),
    );
    expect(await adapted.head()).toBe(deltas.length);
    const many = [...sorted, target.id];
    expect([...(await adapted.negationsOf!(many))].sort()).toEqual(
      deltas
        .slice(50_006)
        .map((d) => d.id)
        .sort(),
    );
    expect(await adapted.getMany(many)).toHaveLength(deltas.length);
  });
});
