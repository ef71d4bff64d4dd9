import { createDeltaBuilder, isReference, Vocabulary, type Delta } from '@rhizome/core';
import { createViewStore } from '@rhizome/views';
import { describe, expect, it } from 'vitest';
import { listNegatedIds, matchesFilter, type DeltaFilter } from '../src/filter.ts';
import { createMemorySyncStore, type MemorySyncStore } from '../src/memory-store.ts';
import { createRandom, type Random } from '../src/random.ts';
import type { Reconnector } from '../src/reconnect.ts';
import type { SyncNode } from '../src/node.ts';
import type { Session } from '../src/session.ts';
import { createHarness, idsOf } from './harness.ts';

/**
 * Randomised convergence: 3–5 nodes on a lossy, duplicating, reordering network with partitions
 * and restarts, concurrent writes everywhere (property sets, negations, transactions). Once the
 * faults stop, every store must hold the same delta set. Replay a failure with RHIZOME_SEED.
 */
const baseSeed = Number(process.env.RHIZOME_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = process.env.RHIZOME_SEED === undefined ? 3 : 1;

/** The last node pulls through this filter on all its links; the others pull everything. */
const FILTER: DeltaFilter = { entities: ['entity-0', 'entity-1', 'entity-2', 'entity-3'] };

/**
 * What the filtered node must end with: its own writes, the matches, and every negation of either,
 * transitively (it pulls with its own host as `ownHosts`).
 */
function expectedFiltered(all: readonly Delta[], host: string): string[] {
  const members = new Set(all.filter((delta) => matchesFilter(FILTER, delta) || delta.host === host).map((delta) => delta.id));
  for (let grew = true; grew; ) {
    grew = false;
    for (const delta of all) {
      if (!members.has(delta.id) && listNegatedIds(delta).some((id) => members.has(id))) {
        members.add(delta.id);
        grew = true;
      }
    }
  }
  return [...members].sort();
}

interface World {
  readonly nodes: (SyncNode & { store: MemorySyncStore })[];
  /** The node that pulls through FILTER. */
  readonly filtered: SyncNode & { store: MemorySyncStore };
  readonly stats: { writes: number; partitions: number; restarts: number; lazyWants: number };
  /** Everything that went over the network, for replay checks. */
  readonly traffic: { messages: number; bytes: number; endedAt: number };
}

async function runScenario(seed: number): Promise<World> {
  const random: Random = createRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const faults = { dropRate: 0.005, duplicateRate: 0.05, minDelayMs: 1, maxDelayMs: 30 };
  const { scheduler, network, node } = createHarness(seed, faults);
  const count = 3 + Math.floor(random() * 3);
  const names = Array.from({ length: count }, (_, i) => `n${i}`);
  const nodes = names.map((name) => node(name, { store: createMemorySyncStore({ feedId: `feed-${name}` }) }));

  // A ring, so the graph stays connected, plus random chords.
  const edges: [number, number][] = names.map((_, i) => [i, (i + 1) % count]);
  for (let i = 0; i < count; i++) {
    for (let j = i + 2; j < count; j++) if (!(i === 0 && j === count - 1) && random() < 0.3) edges.push([i, j]);
  }
  const links = new Map<string, Reconnector>();
  const connect = (i: number, j: number): void => {
    const filter = { ...FILTER, ownHosts: [names[count - 1]!] };
    const options = i === count - 1 ? { a: { filter } } : j === count - 1 ? { b: { filter } } : {};
    links.set(`${i}-${j}`, network.link(nodes[i]!, nodes[j]!, options));
  };
  for (const [i, j] of edges) connect(i, j);

  const stats = { writes: 0, partitions: 0, restarts: 0, lazyWants: 0 };
  // Announced deltas asked for, per session (sessions come and go with links and restarts).
  const lazyWants = new Map<Session, number>();
  const countLazyWants = (): void => {
    for (const n of nodes) for (const session of n.sessions()) lazyWants.set(session, session.snapshot().stats.announcementsWanted);
  };
  const cut = new Set<[number, number]>();
  let transactions = 0;
  const written = new Set<string>();
  let step = 0;
  const late: { index: number; delta: Delta; due: number }[] = [];
  const deliverLate = async (now: number): Promise<void> => {
    for (const item of late.filter((entry) => entry.due <= now)) {
      late.splice(late.indexOf(item), 1);
      await nodes[item.index]!.store.appendBatch([item.delta]);
    }
  };

  const write = async (index: number, kind?: 'negation' | 'transaction'): Promise<void> => {
    const target = nodes[index]!;
    const builder = () =>
      createDeltaBuilder({ host: names[index]!, creator: `user-${Math.floor(random() * 3)}`, timeCreated: 1_000_000 + scheduler.now() });
    // A forced kind makes sure every node writes negations and transactions at least once.
    const roll = kind === 'negation' ? 0 : kind === 'transaction' ? 0.25 : random();
    const held = target.store.all();
    let deltas: Delta[];
    if (roll < 0.15 && held.length > 0) {
      deltas = [builder().negate(pick(held).id).build()];
    } else if (roll < 0.22) {
      // A negation that reaches this node long before what it negates, as after a partition.
      const negated = builder().set(`entity-${Math.floor(random() * 8)}`, { late: written.size }).build();
      deltas = [builder().negate(negated.id).build()];
      late.push({ index, delta: negated, due: step + 5 + Math.floor(random() * 20) });
      written.add(negated.id);
    } else if (roll < 0.3) {
      const transaction = `tx-${names[index]}-${transactions++}`;
      const size = 2 + Math.floor(random() * 2);
      deltas = [builder().declareTransaction(transaction, size).build()];
      for (let m = 0; m < size; m++) {
        deltas.push(builder().inTransaction(transaction).set(`entity-${Math.floor(random() * 20)}`, { member: m }).build());
      }
    } else {
      deltas = [builder().set(`entity-${Math.floor(random() * 20)}`, { value: Math.floor(random() * 1000) }).build()];
    }
    // Counted by id: two writes can by chance build the very same delta.
    for (const delta of deltas) written.add(delta.id);
    await target.store.appendBatch(deltas);
  };

  for (step = 0; step < 150; step++) {
    await deliverLate(step);
    if (step === 1) for (let i = 0; i < count; i++) await write(i, 'transaction');
    if (step === 10) for (let i = 0; i < count; i++) await write(i, 'negation');
    for (let w = 0; w < 2; w++) if (random() < 0.6) await write(Math.floor(random() * count));
    const roll = random();
    if (roll < 0.04) {
      const edge = pick(edges);
      network.partition(names[edge[0]]!, names[edge[1]]!);
      cut.add(edge);
      stats.partitions++;
    } else if (roll < 0.08 && cut.size > 0) {
      const edge = pick([...cut]);
      network.heal(names[edge[0]]!, names[edge[1]]!);
      cut.delete(edge);
    } else if (roll < 0.1) {
      // Restart: the store survives (it is "durable"), sessions and in-memory state do not.
      const index = Math.floor(random() * count);
      for (const [key, link] of links) {
        const [i, j] = key.split('-').map(Number) as [number, number];
        if (i === index || j === index) link.stop();
      }
      nodes[index]!.close();
      // Some restarts also lose the cursors (data kept): the node must reconcile, not re-download.
      if (random() < 0.5) nodes[index]!.store.clearCursors();
      nodes[index] = node(names[index]!, { store: nodes[index]!.store });
      for (const [i, j] of edges) if (i === index || j === index) connect(i, j);
      stats.restarts++;
    }
    await scheduler.advance(20);
    await checkCursors(nodes);
    countLazyWants();
  }

  await deliverLate(Number.POSITIVE_INFINITY);
  network.healAll();
  network.setFaults({ dropRate: 0, duplicateRate: 0.05, minDelayMs: 1, maxDelayMs: 30 });
  const full = () => nodes.slice(0, -1);
  const converged = () => {
    const size = nodes[0]!.store.size;
    if (!full().every((n) => n.store.size === size)) return false;
    const reference = idsOf(nodes[0]!.store).join();
    if (!full().every((n) => idsOf(n.store).join() === reference)) return false;
    return idsOf(nodes[count - 1]!.store).join() === expectedFiltered(nodes[0]!.store.all(), names[count - 1]!).join();
  };
  await scheduler.runUntil(converged, 60_000, 50);
  countLazyWants();
  stats.writes = written.size;
  stats.lazyWants = [...lazyWants.values()].reduce((sum, wanted) => sum + wanted, 0);
  return { nodes: nodes.slice(0, -1), filtered: nodes[count - 1]!, stats, traffic: { messages: network.messagesSent, bytes: network.bytesSent, endedAt: scheduler.now() } };
}

/**
 * Every entity's view and every transaction's report, from views built over the node's deltas in
 * its own arrival order (which differs from node to node).
 */
function viewsOf(deltas: readonly Delta[]): Record<string, unknown> {
  const views = createViewStore();
  // Half the deltas one by one, the rest as a batch: the views must not care how they arrived.
  const half = Math.floor(deltas.length / 2);
  for (const delta of deltas.slice(0, half)) views.ingest(delta);
  views.ingestMany(deltas.slice(half));
  const entities = new Set<string>();
  const transactions = new Set<string>();
  for (const delta of deltas) {
    for (const pointer of delta.pointers) {
      if (!isReference(pointer.target)) continue;
      if (pointer.localContext === Vocabulary.transaction) transactions.add(pointer.target.id);
      else if (pointer.localContext !== Vocabulary.negates) entities.add(pointer.target.id);
    }
  }
  const out: Record<string, unknown> = {};
  for (const entity of [...entities].sort()) out[`entity:${entity}`] = views.view(entity);
  for (const transaction of [...transactions].sort()) out[`tx:${transaction}`] = views.transaction(transaction);
  return out;
}

/**
 * The safety property of cursors: a node's cursor into a peer's feed never runs ahead of what it
 * has stored, so a restart from it cannot skip anything.
 */
async function checkCursors(nodes: readonly (SyncNode & { store: MemorySyncStore })[]): Promise<void> {
  for (const holder of nodes) {
    for (const peer of nodes) {
      if (peer === holder) continue;
      const cursor = await holder.store.getCursor(peer.nodeId);
      // A filtered cursor skips non-matching entries on purpose; the final check covers that node.
      if (cursor === undefined || cursor.filter !== undefined || cursor.feedId !== (await peer.store.feedId())) continue;
      const covered = await peer.store.changesSince(0, cursor.seq);
      const missing = covered.filter((entry) => !holder.store.has(entry.delta.id));
      expect(missing.map((entry) => entry.seq), `${holder.nodeId}'s cursor ${cursor.seq} into ${peer.nodeId}`).toEqual([]);
    }
  }
}

describe('randomised convergence', () => {
  for (let run = 0; run < RUNS; run++) {
    const seed = baseSeed + run;
    it(`converges after faults, partitions and restarts (RHIZOME_SEED=${seed})`, { timeout: 60_000 }, async () => {
      let world: World;
      try {
        world = await runScenario(seed);
        const reference = idsOf(world.nodes[0]!.store);
        for (const n of world.nodes) expect(idsOf(n.store), `node ${n.nodeId}`).toEqual(reference);
        expect(reference.length).toBe(world.stats.writes);
        // Lazy push was on the path: some relayed deltas travelled by announcement and want.
        expect(world.stats.lazyWants).toBeGreaterThan(0);
        const filtered = world.filtered;
        expect(idsOf(filtered.store), 'the filtered node').toEqual(expectedFiltered(world.nodes[0]!.store.all(), filtered.nodeId));
        const views = viewsOf(world.nodes[0]!.store.all());
        for (const n of world.nodes.slice(1)) expect(viewsOf(n.store.all()), `views of ${n.nodeId}`).toEqual(views);
      } catch (error) {
        console.error(`convergence failed; replay with RHIZOME_SEED=${seed}`);
        throw error;
      }
      console.log(`seed ${seed}: ${world.nodes.length} nodes, ${world.stats.writes} deltas, ${world.stats.partitions} partitions, ${world.stats.restarts} restarts, ${world.stats.lazyWants} announced deltas fetched`);
    });
  }

  it('replays exactly from its seed', { timeout: 60_000 }, async () => {
    const first = await runScenario(baseSeed);
    const second = await runScenario(baseSeed);
    expect(second.traffic).toEqual(first.traffic);
    expect(second.stats).toEqual(first.stats);
    expect(idsOf(second.nodes[0]!.store)).toEqual(idsOf(first.nodes[0]!.store));
  });
});
