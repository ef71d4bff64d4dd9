import { describe, expect, it } from 'vitest';
import type { SyncLimits } from '../src/limits.ts';
import { generateDeltas } from './fixtures.ts';
import { createHarness, idsOf } from './harness.ts';

/**
 * Issue 17: a node back from a partition used to receive each missing delta once per link (both
 * peers streamed it from the cursor, in full), and its peers got the other side's deltas twice
 * (from the node itself, and relayed in full by each other). Far-behind links now take turns
 * through the catch-up gate and pull by id what the leader has brought already.
 */
async function heal(perSide: number, limits: Partial<SyncLimits>): Promise<number> {
  const { scheduler, network, node } = createHarness(17);
  const nodes = ['a', 'b', 'c'].map((name) => node(name, { limits }));
  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
  network.link(b, a);
  network.link(c, a);
  network.link(c, b);
  await a.store.appendBatch(generateDeltas(200, 1, 'shared'));
  expect(await scheduler.runUntil(() => nodes.every((n) => n.store.size === 200), 10_000)).toBe(
    true,
  );
  // Cursors settle (the idle advance carries them past the peers' own deltas).
  await scheduler.advance(3_000);

  network.partition('a', 'c');
  network.partition('b', 'c');
  await scheduler.advance(100);
  await a.store.appendBatch(generateDeltas(perSide, 2, 'side-ab'));
  await c.store.appendBatch(generateDeltas(perSide, 3, 'side-c'));
  expect(await scheduler.runUntil(() => b.store.size === 200 + perSide, 10_000)).toBe(true);
  await scheduler.advance(1_000);

  const before = nodes.map((n) => n.totals().deltasReceived);
  network.healAll();
  const total = 200 + 2 * perSide;
  expect(await scheduler.runUntil(() => nodes.every((n) => n.store.size === total), 60_000)).toBe(
    true,
  );
  await scheduler.advance(3_000);
  for (const n of nodes) expect(idsOf(n.store)).toEqual(idsOf(a.store));
  const received = nodes.reduce((sum, n, i) => sum + n.totals().deltasReceived - before[i]!, 0);
  return received / (3 * perSide);
}

describe('issue 17: partition heal', () => {
  it('transfers each missing delta about once to each node', async () => {
    const perDelta = await heal(3_000, {});
    // The same heal without lazy push (every link streams in full): the same-run baseline.
    const eager = await heal(3_000, { lazyPush: false });
    console.log(
      `partition heal, bodies received per missing delta: ${perDelta.toFixed(3)} (without lazy push: ${eager.toFixed(3)})`,
    );
    expect(perDelta).toBeGreaterThanOrEqual(1);
    expect(perDelta).toBeLessThanOrEqual(1.05);
    expect(eager).toBeGreaterThan(1.5);
  });
});
