import { describe, expect, it } from 'vitest';
import { createPeerManager } from '../src/peer-manager.ts';
import { generateDeltas } from './fixtures.ts';
import { createHarness } from './harness.ts';

describe('membership', () => {
  it('dials seeds, learns the rest of the mesh by peer exchange and converges', async () => {
    const { scheduler, network, node } = createHarness(3);
    const names = ['a', 'b', 'c', 'd'];
    const nodes = names.map((name) => node(name, { advertise: [`mem://${name}`] }));
    nodes.forEach((n, i) => network.register(`mem://${names[i]}`, n));
    // Each node knows only the one before it; peer exchange tells it about the others.
    const managers = nodes.map((n, i) =>
      createPeerManager({
        node: n,
        seeds: i === 0 ? [] : [`mem://${names[i - 1]}`],
        dial: (address) => network.dial(n, address),
        scheduler,
        discoverIntervalMs: 100,
      }),
    );
    await nodes[3]!.store.appendBatch(generateDeltas(20, 1, 'd'));
    await nodes[0]!.store.appendBatch(generateDeltas(20, 2, 'a'));
    expect(await scheduler.runUntil(() => nodes.every((n) => n.store.size === 40), 5_000)).toBe(true);
    await scheduler.advance(1_000);
    const dManager = managers[3]!;
    expect(dManager.peers().map((peer) => peer.address).sort()).toEqual(['mem://a', 'mem://b', 'mem://c']);
    // d has the largest id: where a peer also dialled d, d left that link to the peer.
    expect(dManager.peers().every((peer) => peer.connected || peer.deduplicated)).toBe(true);
    expect(dManager.peers().find((peer) => peer.address === 'mem://c')?.seed).toBe(true);
    // Everyone learnt everyone, so pairs dialled each other; one link per pair is left.
    for (const n of nodes) {
      const linked = n.peers().filter((peer) => peer.state === 'open').map((peer) => peer.peer!.nodeId);
      expect(linked.sort(), `links of ${n.nodeId}`).toEqual(names.filter((name) => name !== n.nodeId));
    }
    await nodes[1]!.store.appendBatch(generateDeltas(5, 3, 'b'));
    expect(await scheduler.runUntil(() => nodes.every((n) => n.store.size === 45), 1_000)).toBe(true);

    network.partition('a', 'd');
    await scheduler.advance(300);
    // Whichever end kept the a–d link, d now redials a (and fails, until the partition heals).
    const cut = dManager.peers().find((peer) => peer.address === 'mem://a')!;
    expect(cut).toMatchObject({ connected: false, deduplicated: false });
    expect(cut.failures).toBeGreaterThan(0);
    network.healAll();
    await scheduler.advance(1_000);
    expect(nodes[3]!.peers().filter((peer) => peer.state === 'open').map((peer) => peer.peer!.nodeId).sort()).toEqual(['a', 'b', 'c']);
    for (const manager of managers) manager.stop();
  });
});
