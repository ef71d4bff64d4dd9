import { describe, expect, it } from 'vitest';
import type { SyncLimits } from '../src/limits.ts';
import type { MemorySyncStore } from '../src/memory-store.ts';
import type { SyncNode } from '../src/node.ts';
import { noFaults } from '../src/memory-network.ts';
import { generateDeltas } from './fixtures.ts';
import { createHarness, idsOf } from './harness.ts';

type Node = SyncNode & { store: MemorySyncStore };

/** Delta bodies received over every link of every node (duplicates included). */
const bodiesReceived = (nodes: readonly Node[]): number =>
  nodes.reduce((sum, n) => sum + n.peers().reduce((links, peer) => links + peer.stats.deltasReceived, 0), 0);

/** A full mesh of `count` nodes; every node writes bursts in turn. Returns bodies received per delta. */
async function runMesh(count: number, limits: Partial<SyncLimits>, faults = noFaults): Promise<{ perDelta: number; nodes: Node[] }> {
  const { scheduler, network, node } = createHarness(7, faults);
  const nodes = Array.from({ length: count }, (_, i) => node(`n${i}`, { limits }));
  for (let i = 0; i < count; i++) for (let j = i + 1; j < count; j++) network.link(nodes[i]!, nodes[j]!);
  await scheduler.advance(50);
  let total = 0;
  for (let round = 0; round < 10; round++) {
    for (const [i, writer] of nodes.entries()) {
      await writer.store.appendBatch(generateDeltas(20, round * 100 + i, `r${round}-${writer.nodeId}`));
      total += 20;
      await scheduler.advance(5);
    }
  }
  expect(await scheduler.runUntil(() => nodes.every((n) => n.store.size === total), 5_000)).toBe(true);
  const reference = idsOf(nodes[0]!.store);
  for (const n of nodes) expect(idsOf(n.store)).toEqual(reference);
  return { perDelta: bodiesReceived(nodes) / total, nodes };
}

describe('lazy push in a mesh', () => {
  it('sends each delta body over about N-1 links in a full mesh of N, not N(N-1)', async () => {
    for (const count of [3, 4, 5]) {
      const lazy = await runMesh(count, {});
      const eager = await runMesh(count, { lazyPush: false });
      console.log(`full mesh of ${count}: bodies received per delta ${lazy.perDelta.toFixed(2)} with lazy push, ${eager.perDelta.toFixed(2)} without`);
      // Every other node must receive each body once: N-1 is the floor.
      expect(lazy.perDelta).toBeGreaterThanOrEqual(count - 1);
      expect(lazy.perDelta).toBeLessThanOrEqual((count - 1) * 1.05);
      // Without it, a body reaches each node over every path: (N-1)² here (origin, then relays).
      expect(eager.perDelta).toBeGreaterThan((count - 1) * (count - 2));
      // Every body received was new to its receiver: no echo to the origin, no duplicate.
      for (const n of lazy.nodes) {
        for (const peer of n.peers()) expect(peer.stats.deltasReceived).toBe(peer.stats.deltasStored);
      }
    }
  });

  it('stays close to N-1 bodies per delta when link delays vary (1–30 ms)', async () => {
    const jitter = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 30 };
    for (const count of [3, 5]) {
      const lazy = await runMesh(count, {}, jitter);
      const eager = await runMesh(count, { lazyPush: false }, jitter);
      console.log(`full mesh of ${count}, 1–30 ms links: bodies per delta ${lazy.perDelta.toFixed(2)} lazy, ${eager.perDelta.toFixed(2)} eager`);
      expect(lazy.perDelta).toBeLessThanOrEqual((count - 1) * 1.25);
    }
  });

  it('relays by announcement across hops, and converges when links drop and heal', async () => {
    const { scheduler, network, node } = createHarness(11);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => node(name)) as [Node, Node, Node, Node];
    // A full mesh with the a–c and a–d links cut: a's writes reach c and d only through b.
    for (const [x, y] of [[a, b], [a, c], [a, d], [b, c], [b, d], [c, d]] as const) network.link(x, y);
    network.partition('a', 'c');
    network.partition('a', 'd');
    await scheduler.advance(50);
    await a.store.appendBatch(generateDeltas(100, 1, 'a'));
    expect(await scheduler.runUntil(() => [b, c, d].every((n) => n.store.size === 100), 2_000)).toBe(true);
    const announced = (n: Node) => n.peers().reduce((sum, peer) => sum + peer.stats.announcementsWanted, 0);
    // c and d got a's deltas from b by id and asked for them; each body still reached each once.
    expect(announced(c) + announced(d)).toBeGreaterThan(0);
    expect(bodiesReceived([a, b, c, d])).toBe(300);

    // Writes everywhere while links flap.
    for (let step = 0; step < 20; step++) {
      const writer = [a, b, c, d][step % 4]!;
      await writer.store.appendBatch(generateDeltas(10, 1000 + step, `flap-${step}`));
      if (step === 5) network.partition('b', 'c');
      if (step === 9) network.heal('a', 'c');
      if (step === 12) network.partition('b', 'd');
      if (step === 15) network.heal('b', 'c');
      await scheduler.advance(3);
    }
    network.healAll();
    expect(await scheduler.runUntil(() => [a, b, c, d].every((n) => n.store.size === 300), 10_000)).toBe(true);
    for (const n of [b, c, d]) expect(idsOf(n.store)).toEqual(idsOf(a.store));
  });

  it('turns a link eager when the peer asks for most of what it announces (a line)', async () => {
    const { scheduler, network, node } = createHarness(17);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => node(name)) as [Node, Node, Node];
    network.link(a, b);
    network.link(b, c);
    await scheduler.advance(50);
    for (let i = 0; i < 200; i++) {
      await a.store.appendBatch(generateDeltas(1, 500 + i, `line-${i}`));
      await scheduler.advance(2);
    }
    expect(await scheduler.runUntil(() => c.store.size === 200, 2_000)).toBe(true);
    const fromB = c.peers()[0]!.stats;
    // c had to ask for the first announcements (b is its only path to a); then b sent in full.
    expect(fromB.announcementsWanted).toBeGreaterThanOrEqual(16);
    expect(fromB.announcementsWanted).toBeLessThanOrEqual(40);
    expect(fromB.announcementsReceived).toBeLessThanOrEqual(40);
    expect(fromB.deltasReceived).toBe(200);
    expect(bodiesReceived([a, b, c])).toBe(400);
  });

  it('never persists a cursor past an announced delta that has not arrived', async () => {
    const { scheduler, network, node } = createHarness(13);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => node(name)) as [Node, Node, Node];
    network.link(a, b);
    network.link(c, b);
    await scheduler.advance(50);
    const cPeer = () => c.peers()[0]!;
    await a.store.appendBatch(generateDeltas(30, 2, 'a'));
    // Step until c has asked b for the announced deltas, then cut the link before the answer.
    expect(await scheduler.runUntil(() => (cPeer()?.stats.announcementsWanted ?? 0) > 0, 200, 1)).toBe(true);
    expect(c.store.size).toBe(0);
    network.partition('b', 'c');
    await scheduler.advance(20);
    // The batch that announced them moved c's cursor in memory, but not the persisted one.
    expect((await c.store.getCursor('b'))?.seq ?? 0).toBe(0);
    network.heal('b', 'c');
    expect(await scheduler.runUntil(() => c.store.size === 30, 2_000)).toBe(true);
    await scheduler.advance(50);
    expect((await c.store.getCursor('b'))?.seq).toBe(30);
  });
});
