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

  it('removes a link: a clean close, and peer exchange does not dial it again until it is added', async () => {
    const { scheduler, network, node } = createHarness(5);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => node(name, { advertise: [`mem://${name}`] }));
    network.register('mem://a', a!);
    network.register('mem://b', b!);
    network.register('mem://c', c!);
    // b dials a, then c dials a, learns b from it and dials b too. b does not discover, so every
    // link c has to b is c's own.
    const bManager = createPeerManager({
      node: b!,
      seeds: ['mem://a'],
      dial: (address) => network.dial(b!, address),
      scheduler,
      discover: false,
      discoverIntervalMs: 100,
    });
    expect(await scheduler.runUntil(() => a!.learntAddresses().includes('mem://b'), 5_000)).toBe(true);
    const cManager = createPeerManager({
      node: c!,
      seeds: ['mem://a'],
      dial: (address) => network.dial(c!, address),
      scheduler,
      discoverIntervalMs: 100,
    });
    const openWith = (n: typeof a, peer: string) =>
      n!.sessions().filter((session) => session.snapshot().state === 'open' && session.snapshot().peer?.nodeId === peer);
    expect(await scheduler.runUntil(() => openWith(c, 'b').length === 1, 5_000)).toBe(true);
    expect(cManager.peers().find((peer) => peer.address === 'mem://b')).toMatchObject({ seed: false, connected: true });
    const [onC] = openWith(c, 'b');
    const [onB] = openWith(b, 'c');

    expect(cManager.remove('mem://nowhere')).toBe(false);
    expect(cManager.remove('mem://b')).toBe(true);
    expect(cManager.remove('mem://b')).toBe(false);
    expect(cManager.peers().map((peer) => peer.address)).toEqual(['mem://a']);
    await scheduler.advance(50);
    // Closed from c's end as a shutdown closes it: b hears SYNC_CLOSED (a goodbye), not a failure.
    expect(onC!.snapshot()).toMatchObject({ state: 'closed', lastError: undefined });
    expect(onB!.snapshot().state).toBe('closed');
    expect(onB!.snapshot().lastError?.code).toContain('SYNC_CLOSED');

    // a keeps telling c about b; many discovery rounds later c still has not dialled it.
    expect(c!.learntAddresses()).toContain('mem://b');
    await scheduler.advance(2_000);
    expect(cManager.peers().map((peer) => peer.address)).toEqual(['mem://a']);
    expect(openWith(c, 'b')).toEqual([]);

    // Writes still reach c through a.
    await b!.store.appendBatch(generateDeltas(5, 7, 'b'));
    expect(await scheduler.runUntil(() => c!.store.size === 5, 2_000)).toBe(true);

    // Adding it again links it as a seed.
    expect(cManager.add('mem://b')).toBe(true);
    expect(await scheduler.runUntil(() => openWith(c, 'b').length === 1, 2_000)).toBe(true);
    expect(cManager.peers().find((peer) => peer.address === 'mem://b')).toMatchObject({ seed: true, connected: true });

    // A seed can be removed too; discovery does not bring it back either.
    expect(cManager.remove('mem://a')).toBe(true);
    await scheduler.advance(2_000);
    expect(cManager.peers().map((peer) => peer.address)).toEqual(['mem://b']);
    expect(openWith(c, 'a')).toEqual([]);
    bManager.stop();
    cManager.stop();
  });
});
