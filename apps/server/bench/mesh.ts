// `pnpm bench` in apps/server: redundancy of sync between real server processes (issue 17 goal 3).
//
// Mesh: five server processes in a full mesh (node i dials nodes 0…i−1), writes spread over all
// five at a steady rate; each node's delta bodies received from peers (its
// `rhizome_sync_deltas_received_total`) divided by the deltas it had to learn from them. The floor,
// the same-run baseline, is 1.0: every delta body received once.
//
// Heal: three nodes (b dials a; c adds a and b through the peers API), a shared history, then c
// drops both links (a partition), each side writes its own deltas, and c adds the links back.
// Timed from the re-add until all three hold everything; bodies received by all three over the
// deltas each lacked (floor 1.0).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backend,
  deltaCount,
  dropSchemas,
  formatSummary,
  peerEnv,
  startPeerNode,
  syncAddress,
  syncTotals,
  waitFor,
} from './mesh-support.ts';
import { progress } from './measure.ts';
import type { Child } from './processes.ts';

const MESH_NODES = Number(process.env.RHIZOME_BENCH_MESH_NODES ?? 5);
const MESH_RATE = Number(process.env.RHIZOME_BENCH_MESH_RATE ?? 500);
const MESH_SECONDS = Number(process.env.RHIZOME_BENCH_MESH_SECONDS ?? 4);
const HEAL_DELTAS = Number(process.env.RHIZOME_BENCH_HEAL_DELTAS ?? 5_000);
const RUNS = Number(process.env.RHIZOME_BENCH_MESH_RUNS ?? 3);
const PARTS = (process.env.RHIZOME_BENCH_MESH_PARTS ?? 'mesh,heal').split(',');
const TICK_MS = 10;

let sequence = 0;
function deltas(count: number, tag: string): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = sequence++;
    out.push(
      `{"pointers":[{"localContext":"entity","target":{"id":"${tag}${n % 1000}"},"targetContext":"n"},{"localContext":"n","target":${n}}]}`,
    );
  }
  return `{"deltas":[${out.join(',')}]}`;
}

async function post(node: Child, body: string): Promise<void> {
  const response = await fetch(`${node.url}/api/deltas`, {
    method: 'POST',
    headers: peerEnv.writeHeaders,
    body,
  });
  if (!response.ok)
    throw new Error(`POST /api/deltas: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

async function fill(node: Child, count: number, tag: string): Promise<void> {
  for (let done = 0; done < count; done += 500)
    await post(node, deltas(Math.min(500, count - done), tag));
}

async function allHold(nodes: readonly Child[], count: number, ms: number): Promise<boolean> {
  return waitFor(async () => {
    const counts = await Promise.all(nodes.map((node) => deltaCount(node.url)));
    return counts.every((held) => held >= count);
  }, ms);
}

async function peersOf(node: Child): Promise<{ address: string | null; connected: boolean }[]> {
  const response = await fetch(`${node.url}/api/peers`, {
    headers: { authorization: `Bearer ${peerEnv.token}` },
  });
  return ((await response.json()) as { peers: { address: string | null; connected: boolean }[] })
    .peers;
}

async function peerRequest(node: Child, method: 'POST' | 'DELETE', address: string) {
  const response = await fetch(
    method === 'POST'
      ? `${node.url}/api/peers`
      : `${node.url}/api/peers?address=${encodeURIComponent(address)}`,
    {
      method,
      headers: peerEnv.writeHeaders,
      ...(method === 'POST' ? { body: JSON.stringify({ address }) } : {}),
    },
  );
  if (!response.ok)
    throw new Error(`${method} /api/peers: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

async function benchMesh(dir: string): Promise<void> {
  const nodes: Child[] = [];
  const names = Array.from({ length: MESH_NODES }, (_, i) => `m${i}`);
  try {
    for (const [i, name] of names.entries()) {
      progress(`mesh: starting ${name}`);
      nodes.push(await startPeerNode(dir, name, nodes.slice(0, i)));
    }
    const links = MESH_NODES - 1;
    await waitFor(
      async () =>
        (await Promise.all(nodes.map(peersOf))).every(
          (peers) => peers.filter((peer) => peer.connected).length >= links,
        ),
      60_000,
    );
    // Warm-up: every link carries something before the measure.
    let total = 0;
    for (const node of nodes) {
      await post(node, deltas(20, 'warm'));
      total += 20;
    }
    if (!(await allHold(nodes, total, 60_000))) throw new Error('mesh warm-up did not converge');
    const perNode: number[][] = names.map(() => []);
    const worst: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      progress(
        `mesh run ${run + 1}/${RUNS}: ${MESH_RATE} deltas/s for ${MESH_SECONDS} s over ${MESH_NODES} nodes`,
      );
      const before = await Promise.all(nodes.map((node) => syncTotals(node.url)));
      const written = names.map(() => 0);
      const perTick = Math.max(1, Math.round((MESH_RATE * TICK_MS) / 1000));
      const ticks = Math.round((MESH_SECONDS * 1000) / TICK_MS);
      const pending: Promise<void>[] = [];
      const started = performance.now();
      for (let tick = 0; tick < ticks; tick++) {
        const wait = started + tick * TICK_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const target = tick % MESH_NODES;
        written[target]! += perTick;
        pending.push(post(nodes[target]!, deltas(perTick, 'mesh')));
      }
      await Promise.all(pending);
      total += perTick * ticks;
      if (!(await allHold(nodes, total, 120_000))) throw new Error('mesh run did not converge');
      // Announcements answered late still land after the counts match: let them.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = await Promise.all(nodes.map((node) => syncTotals(node.url)));
      const all = written.reduce((a, b) => a + b, 0);
      const ratios = nodes.map(
        (_, i) => (after[i]!.received - before[i]!.received) / (all - written[i]!),
      );
      ratios.forEach((ratio, i) => perNode[i]!.push(ratio));
      worst.push(Math.max(...ratios));
      progress(`  bodies per delta per node: ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
    }
    console.log(
      `\nMesh redundancy: ${MESH_NODES} server processes (${backend}), full mesh, ${MESH_RATE} deltas/s for ${MESH_SECONDS} s, ${RUNS} runs`,
    );
    console.log(
      '| node | bodies received per delta, min / median / max over runs | vs floor (1.0) |',
    );
    console.log('| --- | --- | --- |');
    for (const [i, name] of names.entries()) {
      const values = perNode[i]!;
      const median = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      console.log(`| ${name} | ${formatSummary(values, 2)} | ${median.toFixed(2)}× |`);
    }
    console.log(
      `- worst node per run, min / median / max: ${formatSummary(worst, 2)} (target ≤ 1.3)`,
    );
  } finally {
    for (const node of nodes.reverse()) await node.stop().catch(() => {});
    await dropSchemas(names).catch(() => {});
  }
}

async function benchHeal(dir: string): Promise<void> {
  const names = ['ha', 'hb', 'hc'];
  const nodes: Child[] = [];
  try {
    progress('heal: starting ha, hb (dials ha), hc (adds both through the API)');
    const a = await startPeerNode(dir, 'ha', []);
    nodes.push(a);
    const b = await startPeerNode(dir, 'hb', [a]);
    nodes.push(b);
    const c = await startPeerNode(dir, 'hc', []);
    nodes.push(c);
    const link = async () => {
      await peerRequest(c, 'POST', syncAddress(a));
      await peerRequest(c, 'POST', syncAddress(b));
    };
    await link();
    let total = 1000;
    await fill(a, 1000, 'shared');
    if (!(await allHold(nodes, total, 60_000)))
      throw new Error('heal: shared history did not converge');
    const seconds: number[] = [];
    const perMissing: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      progress(
        `heal run ${run + 1}/${RUNS}: partition, ${HEAL_DELTAS} deltas written on each side`,
      );
      await peerRequest(c, 'DELETE', syncAddress(a));
      await peerRequest(c, 'DELETE', syncAddress(b));
      await waitFor(
        async () =>
          (await Promise.all([a, b].map(peersOf))).every(
            (peers) => peers.filter((peer) => peer.connected).length <= 1,
          ),
        30_000,
      );
      await Promise.all([fill(a, HEAL_DELTAS, 'side-ab'), fill(c, HEAL_DELTAS, 'side-c')]);
      if (!(await allHold([a, b], total + HEAL_DELTAS, 120_000)))
        throw new Error('heal: side ab did not converge');
      const before = await Promise.all(nodes.map((node) => syncTotals(node.url)));
      total += 2 * HEAL_DELTAS;
      const started = performance.now();
      await link();
      if (!(await allHold(nodes, total, 300_000)))
        throw new Error('heal: did not converge in 300 s');
      seconds.push((performance.now() - started) / 1000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = await Promise.all(nodes.map((node) => syncTotals(node.url)));
      const received = nodes.reduce(
        (sum, _, i) => sum + after[i]!.received - before[i]!.received,
        0,
      );
      perMissing.push(received / (3 * HEAL_DELTAS));
      progress(
        `  healed in ${seconds.at(-1)!.toFixed(1)} s; bodies per missing delta ${perMissing.at(-1)!.toFixed(3)} (` +
          nodes.map((_, i) => after[i]!.received - before[i]!.received).join(' / ') +
          ` received by a / b / c)`,
      );
    }
    console.log(
      `\nPartition heal: 3 server processes (${backend}), ${HEAL_DELTAS.toLocaleString('en-US')} divergent deltas per side, ${RUNS} runs`,
    );
    console.log('| measure | min / median / max | target |');
    console.log('| --- | --- | --- |');
    console.log(
      `| bodies received per missing delta (floor 1.0) | ${formatSummary(perMissing, 3)} | ≤ 1.05 |`,
    );
    console.log(
      `| heal time, re-link → all hold everything (s) | ${formatSummary(seconds, 1)} | < 10 (20k per side) |`,
    );
  } finally {
    for (const node of nodes.reverse()) await node.stop().catch(() => {});
    await dropSchemas(names).catch(() => {});
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rhizome-bench-mesh-'));
  try {
    progress(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    if (PARTS.includes('mesh')) await benchMesh(dir);
    if (PARTS.includes('heal')) await benchHeal(dir);
    progress(
      `load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
