// Issue 18: what verifying signatures costs the node's ingest. The same small deltas go through
// `node.replicate` (the /sync path; writes share its checks) in batches, unsigned and signed, on
// a fresh node per measure, and each signed rate is divided by the unsigned rate of the same run
// and the same store. Stores: in memory (the engine alone, the harshest ratio) and embedded
// PGlite (what `pnpm start` runs). Five runs; min / median / max.
//
//   pnpm --filter @rhizome/server exec tsx bench/verify-ingest.ts
//   RHIZOME_BENCH_N=4000 RHIZOME_BENCH_PGLITE_N=2000 … (deltas per measure)
import { loadavg } from 'node:os';
import {
  createDeltaBuilder,
  createDeltaSigner,
  derivePublicKey,
  signDelta,
  type Delta,
} from '@rhizome/core';
import { createRhizomeNode, type SignaturePolicy } from '@rhizome/node';
import { createMemoryStore, type DeltaStore } from '@rhizome/storage';
import { openPgliteStore } from '@rhizome/storage-postgres/pglite';

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : Number(raw);
};
const N = envInt('RHIZOME_BENCH_N', 4000);
const PGLITE_N = envInt('RHIZOME_BENCH_PGLITE_N', 2000);
const BATCH = 100;
const RUNS = 5;
const CREATORS = 16;

const secret = (n: number) => (n + 1).toString(16).padStart(2, '0').repeat(32);
const ADMIN = secret(200);
const creatorKeys = Array.from({ length: CREATORS }, (_, i) => secret(i));

function makeDeltas(count: number, offset: number): { unsigned: Delta[]; signed: Delta[] } {
  const signers = creatorKeys.map((key) => createDeltaSigner(key));
  const unsigned: Delta[] = [];
  for (let i = 0; i < count; i++) {
    const c = i % CREATORS;
    unsigned.push(
      createDeltaBuilder({ creator: `c${c}`, host: 'bench', timeCreated: offset + i })
        .set(`e${i % 500}`, { n: i, label: `v${i}` })
        .build(),
    );
  }
  // Off the wire: plain objects, as a peer's batch arrives.
  const signed = unsigned.map((d, i) => JSON.parse(JSON.stringify(signers[i % CREATORS]!(d))));
  return { unsigned: unsigned.map((d) => JSON.parse(JSON.stringify(d))), signed };
}

const listings = creatorKeys.map((key, c) =>
  signDelta(
    createDeltaBuilder({ creator: 'admin', host: 'bench', timeCreated: c + 1 })
      .set(`_creator:c${c}`, { keys: derivePublicKey(key) })
      .build(),
    ADMIN,
  ),
);

async function ingest(
  openStore: () => Promise<DeltaStore>,
  deltas: readonly Delta[],
  policy: SignaturePolicy,
): Promise<number> {
  const store = await openStore();
  const node = await createRhizomeNode({
    store,
    nodeId: 'bench',
    requireSignatures: policy,
    adminKeys: [derivePublicKey(ADMIN)],
  });
  if (policy !== 'off') await node.replicate(listings);
  const started = performance.now();
  for (let i = 0; i < deltas.length; i += BATCH) await node.replicate(deltas.slice(i, i + BATCH));
  const elapsed = performance.now() - started;
  await node.close();
  return (deltas.length / elapsed) * 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[], show: (n: number) => string) =>
  `${show(Math.min(...xs))} / ${show(median(xs))} / ${show(Math.max(...xs))}`;
const rate = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${Math.round(n * 100)}%`;

const stores: { name: string; n: number; open: () => Promise<DeltaStore> }[] = [
  { name: 'memory', n: N, open: async () => createMemoryStore() },
  { name: 'PGlite (in memory)', n: PGLITE_N, open: () => openPgliteStore() },
];
const variants: { name: string; signed: boolean; policy: SignaturePolicy }[] = [
  { name: 'unsigned, policy off (baseline)', signed: false, policy: 'off' },
  { name: 'signed, policy off (verify only)', signed: true, policy: 'off' },
  { name: 'signed, creators-with-keys', signed: true, policy: 'creators-with-keys' },
  { name: 'signed, all', signed: true, policy: 'all' },
];

console.log(
  `verify-ingest: batches of ${BATCH} through node.replicate, ${CREATORS} creators, ${RUNS} runs, load ${loadavg()[0]!.toFixed(1)}`,
);
for (const store of stores) {
  const rates = new Map(variants.map((v) => [v.name, [] as number[]]));
  const ratios = new Map(variants.map((v) => [v.name, [] as number[]]));
  for (let run = -1; run < RUNS; run++) {
    // Fresh deltas per run (new timestamps), so no run finds the previous one's ids.
    const { unsigned, signed } = makeDeltas(store.n, 1_000_000 + (run + 1) * store.n);
    let base = 0;
    for (const v of variants) {
      const r = await ingest(store.open, v.signed ? signed : unsigned, v.policy);
      if (run < 0) continue; // warm-up
      if (!v.signed) base = r;
      rates.get(v.name)!.push(r);
      ratios.get(v.name)!.push(r / base);
    }
  }
  console.log(`\n${store.name}, ${store.n} deltas per measure`);
  console.log('  variant                            deltas/s min / median / max     of unsigned');
  for (const v of variants)
    console.log(
      `  ${v.name.padEnd(34)} ${spread(rates.get(v.name)!, rate).padEnd(28)} ${spread(ratios.get(v.name)!, pct)}`,
    );
}
