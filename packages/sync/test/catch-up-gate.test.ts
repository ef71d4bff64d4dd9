import type { Delta } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import type { SyncLimits } from '../src/limits.ts';
import type { MemorySyncStore } from '../src/memory-store.ts';
import type { SyncNode } from '../src/node.ts';
import { generateDeltas } from './fixtures.ts';
import { createHarness, idsOf, type Harness } from './harness.ts';

type Node = SyncNode & { store: MemorySyncStore };

/** Delta bodies a node received over its open links (duplicates included). */
const bodiesReceived = (node: Node): number => node.peers().reduce((sum, peer) => sum + peer.stats.deltasReceived, 0);

/** Every delta a store holds, sorted by id, so two stores compare by content. */
const contentOf = (store: MemorySyncStore): Delta[] => [...store.all()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

/** Three nodes in a full mesh that hold the same `total` deltas (written at a and b, synced). */
async function createFullMesh(harness: Harness, total: number, limits: Partial<SyncLimits>): Promise<Node[]> {
  const { scheduler, network, node } = harness;
  const peers = ['a', 'b', 'c'].map((name) => node(name, { limits })) as Node[];
  const [a, b, c] = peers as [Node, Node, Node];
  network.link(a, b);
  network.link(a, c);
  network.link(b, c);
  await scheduler.advance(50);
  await a.store.appendBatch(generateDeltas(total / 2, 1, 'a'));
  await b.store.appendBatch(generateDeltas(total / 2, 2, 'b'));
  expect(await scheduler.runUntil(() => peers.every((peer) => peer.store.size === total), 10_000)).toBe(true);
  await scheduler.advance(2_000);
  return peers;
}

/** A fresh node linked to all three at once; resolves once it holds `total` deltas. */
async function joinFresh(total: number, limits: Partial<SyncLimits>): Promise<{ perDelta: number; d: Node; peers: Node[] }> {
  const harness = createHarness(23);
  const peers = await createFullMesh(harness, total, limits);
  const d = harness.node('d', { limits });
  for (const peer of peers) harness.network.link(d, peer);
  expect(await harness.scheduler.runUntil(() => d.store.size === total, 10_000)).toBe(true);
  // Let reconciliations and lazy answers finish before counting.
  await harness.scheduler.advance(2_000);
  expect(d.store.size).toBe(total);
  expect(contentOf(d.store)).toEqual(contentOf(peers[0]!.store));
  for (const peer of d.peers()) expect(peer.pull).toBe('streaming');
  return { perDelta: bodiesReceived(d) / total, d, peers };
}

describe('catch-up gate', () => {
  it('lets a fresh node linked to three full peers download the history about once, not three times', async () => {
    const total = 2_000;
    const figures: string[] = [];
    for (const lazyPush of [true, false]) {
      const gated = await joinFresh(total, { lazyPush });
      const ungated = await joinFresh(total, { lazyPush, catchUpGateMs: 0 });
      figures.push(`${gated.perDelta.toFixed(3)} with the gate, ${ungated.perDelta.toFixed(3)} without (lazy push ${lazyPush ? 'on' : 'off'})`);
      expect(gated.perDelta).toBeGreaterThanOrEqual(1);
      expect(gated.perDelta).toBeLessThan(1.2);
      // Without the gate every link pulls the whole feed; lazy push (with catch-up-by-ids) sends
      // relayed entries by id even far behind, so only each peer's own writes come more than once
      // (every link asks for what it lacks as soon as it hears of it).
      expect(ungated.perDelta).toBeGreaterThan(lazyPush ? 1.3 : 2.9);
      // The links that waited settled by reconciliation; the leader did not.
      const links = gated.d.peers();
      expect(links.filter((peer) => peer.stats.reconciliations > 0)).toHaveLength(2);
      expect(links.filter((peer) => peer.stats.deltasReceived >= total * 0.9)).toHaveLength(1);
    }
    console.log(`fresh node joining a full mesh of 3 (${total} deltas), bodies received per delta: ${figures.join('; ')}`);
  });

  it('hands over when the leader\'s link closes mid catch-up', async () => {
    const total = 2_000;
    // Small batches, so the catch-up takes many round trips and can be cut halfway.
    const limits: Partial<SyncLimits> = { maxBatchDeltas: 50 };
    const harness = createHarness(29);
    const { scheduler, network } = harness;
    const peers = await createFullMesh(harness, total, limits);
    const d = harness.node('d', { limits });
    for (const peer of peers) network.link(d, peer);
    expect(await scheduler.runUntil(() => d.store.size >= total / 4, 5_000, 1)).toBe(true);
    expect(d.store.size).toBeLessThan(total);
    const links = d.peers();
    const leader = links.filter((peer) => peer.pull === 'streaming');
    expect(leader).toHaveLength(1);
    expect(links.filter((peer) => peer.pull === 'waiting')).toHaveLength(2);
    const leaderId = leader[0]!.peer!.nodeId;
    network.partition('d', leaderId);
    const held = d.store.size;
    expect(await scheduler.runUntil(() => d.store.size === total, 10_000)).toBe(true);
    expect(contentOf(d.store)).toEqual(contentOf(peers[0]!.store));
    // The longest waiter took the lead and fetched exactly what was missing (by reconciliation,
    // the store being no longer empty); the other waited for it instead of fetching it too.
    const after = d.peers().filter((peer) => peer.peer?.nodeId !== leaderId);
    expect(after).toHaveLength(2);
    expect(after.reduce((sum, peer) => sum + peer.stats.deltasReceived, 0)).toBe(total - held);
    expect(after.reduce((sum, peer) => sum + peer.stats.reconciliations, 0)).toBeGreaterThanOrEqual(1);
    network.heal('d', leaderId);
    await scheduler.advance(2_000);
    expect(d.peers()).toHaveLength(3);
    expect(d.store.size).toBe(total);
  });

  it('stops waiting for a stalled leader after catchUpGateMs', async () => {
    const total = 1_000;
    const limits: Partial<SyncLimits> = { maxBatchDeltas: 50, catchUpGateMs: 200 };
    const harness = createHarness(31);
    const { scheduler, network } = harness;
    const peers = await createFullMesh(harness, total, limits);
    const d = harness.node('d', { limits });
    // Linked by hand, so the leader's channel can be stalled (a reader that stops reading).
    const channels = peers.map((peer) => {
      const [left, right] = network.createPair('d', peer.nodeId);
      peer.attach(right);
      d.attach(left, { address: peer.nodeId });
      return { peer: peer.nodeId, channel: left };
    });
    expect(await scheduler.runUntil(() => d.store.size > 0, 1_000, 1)).toBe(true);
    const leaderId = d.peers().find((peer) => peer.pull === 'streaming')!.peer!.nodeId;
    channels.find((entry) => entry.peer === leaderId)!.channel.pause();
    const stalledAt = d.store.size;
    expect(stalledAt).toBeLessThan(total);
    // Well before the stalled link's missing pong would close it (testLimits: 1 s pings).
    expect(await scheduler.runUntil(() => d.store.size === total, 700)).toBe(true);
    expect(d.peers().find((peer) => peer.peer?.nodeId === leaderId)!.state).toBe('open');
    expect(contentOf(d.store)).toEqual(contentOf(peers[0]!.store));
  });

  it('collects the union from peers that hold different, overlapping sets', async () => {
    const { scheduler, network, node } = createHarness(37);
    const shared = generateDeltas(600, 3, 'shared');
    const own = ['a', 'b', 'c'].map((name, i) => generateDeltas(300, 10 + i, `own-${name}`));
    // No links between a, b and c: only d brings their sets together.
    const peers = ['a', 'b', 'c'].map((name) => node(name)) as Node[];
    for (const [i, peer] of peers.entries()) {
      // Each stores the shared deltas in its own order, so no two feeds agree.
      await peer.store.appendBatch([...own[i]!.slice(0, 100 * (i + 1)), ...shared.slice(200 * i), ...shared.slice(0, 200 * i), ...own[i]!.slice(100 * (i + 1))]);
    }
    const d = node('d');
    for (const peer of peers) network.link(d, peer);
    const union = [...new Set([...shared, ...own.flat()].map((delta) => delta.id))].sort();
    expect(union).toHaveLength(1_500);
    expect(await scheduler.runUntil(() => [d, ...peers].every((n) => n.store.size === union.length), 10_000)).toBe(true);
    for (const n of [d, ...peers]) expect(idsOf(n.store)).toEqual(union);
    // Each delta reached d about once: a third of what pulling every feed in full would cost.
    expect(bodiesReceived(d)).toBeLessThan(union.length * 1.2);
  });
});
