import { createDeltaBuilder } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createSyncStoreFromDeltaStore, type DeltaStoreLike } from '../../src/delta-store-adapter.ts';
import type { PeerCursor } from '../../src/store.ts';
import { generateDeltas } from '../fixtures.ts';
import { createHarness, idsOf } from '../harness.ts';

/** The adapter against any DeltaStore: run with a stand-in and with @rhizome/storage's store. */
export function describeDeltaStoreAdapter(name: string, createStore: () => DeltaStoreLike): void {
  const idsIn = async (store: DeltaStoreLike): Promise<string[]> => {
    const page = await store.changes({ after: 0, limit: 10_000 });
    return page.entries.map((entry) => entry.delta.id).sort();
  };

  describe(`SyncStore adapter over ${name}`, () => {
    it('syncs with a node on another store, including writes made straight to the DeltaStore', async () => {
      const { scheduler, network, node } = createHarness();
      const deltaStore = createStore();
      await deltaStore.append(generateDeltas(300, 1, 'before'));
      const cursors = new Map<string, PeerCursor>();
      const adapted = createSyncStoreFromDeltaStore(deltaStore, {
        feedId: 'storage-feed',
        scheduler,
        pollIntervalMs: 50,
        cursors: { get: async (peer) => cursors.get(peer), set: async (peer, cursor) => void cursors.set(peer, cursor) },
      });
      const a = node('a', { store: adapted as never });
      const b = node('b');
      await b.store.appendBatch(generateDeltas(200, 2, 'b'));
      // Some data both already hold: reconciliation must not send it again.
      await b.store.appendBatch(generateDeltas(300, 1, 'before').slice(0, 50));
      network.link(a, b);
      expect(await scheduler.runUntil(() => b.store.size === 500 && a.peers()[0]?.stats.deltasStored === 200, 5_000)).toBe(true);
      expect(a.peers()[0]!.stats.deltasReceived).toBe(200);
      expect(b.peers()[0]!.stats.deltasReceived).toBe(250);

      // The API writes to the DeltaStore directly; the adapter's poll finds it and b receives it.
      await deltaStore.append(generateDeltas(7, 3, 'direct'));
      expect(await scheduler.runUntil(() => b.store.size === 507, 1_000)).toBe(true);
      expect(await idsIn(deltaStore)).toEqual(idsOf(b.store));
      expect(cursors.get('b')?.feedId).toBe('feed-b');
      expect((await b.store.getCursor('a'))?.seq).toBe((await deltaStore.counts()).lastSeq);
      adapted.stop();
    });

    it('serves a filtered link when the store can list closures', async (context) => {
      const deltaStore = createStore();
      if (deltaStore.closure === undefined) return context.skip();
      const { scheduler, network, node } = createHarness();
      const adapted = createSyncStoreFromDeltaStore(deltaStore, { feedId: 'storage-feed', scheduler, pollIntervalMs: 50 });
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
  });
}
