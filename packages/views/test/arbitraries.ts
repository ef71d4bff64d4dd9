/** fast-check generators of random delta sets with negations, transactions and negation cycles. */
import { createDeltaBuilder, freezeDelta, Vocabulary, type Delta } from '@rhizome/core';
import fc from 'fast-check';

export const ENTITIES = ['e0', 'e1', 'e2', 'e3'];
export const PROPERTIES = ['p0', 'p1', 'p2'];
export const CREATORS = ['c0', 'c1'];
export const TRANSACTIONS = ['t0', 't1'];
/** The property self-references and composite relations are listed under. */
export const LINKS = 'links';

type Op =
  | { kind: 'set'; time: number; creator: number; entity: number; property: number; value: string | number }
  | { kind: 'relate'; time: number; creator: number; from: number; to: number; property: number }
  | { kind: 'negate'; time: number; creator: number; target: number }
  | { kind: 'declare'; time: number; creator: number; tx: number; size: number }
  | { kind: 'member'; time: number; creator: number; tx: number; entity: number; property: number; value: number }
  | { kind: 'member-negate'; time: number; creator: number; tx: number; target: number }
  | { kind: 'forged'; id: number; time: number; targets: number[] }
  | { kind: 'self'; time: number; creator: number; entity: number }
  | { kind: 'composite'; time: number; creator: number; lead: number; partners: number[]; budget: number };

const time = fc.integer({ min: 0, max: 12 });
const creator = fc.integer({ min: 0, max: CREATORS.length - 1 });
const entity = fc.integer({ min: 0, max: ENTITIES.length - 1 });
const property = fc.integer({ min: 0, max: PROPERTIES.length - 1 });
const tx = fc.integer({ min: 0, max: TRANSACTIONS.length - 1 });
const value = fc.oneof(fc.integer({ min: -3, max: 5 }), fc.constantFrom('a', 'b', 'c'));

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), time, creator, entity, property, value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('relate' as const), time, creator, from: entity, to: entity, property }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('negate' as const), time, creator, target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('declare' as const), time, creator, tx, size: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('member' as const), time, creator, tx, entity, property, value: fc.integer({ min: 0, max: 9 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('member-negate' as const), time, creator, tx, target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('self' as const), time, creator, entity }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('composite' as const),
      time,
      creator,
      lead: entity,
      partners: fc.array(entity, { minLength: 1, maxLength: 2 }),
      budget: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('forged' as const),
      id: fc.integer({ min: 0, max: 3 }),
      time,
      targets: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
    }),
  },
);

const FORGED = (n: number) => `forged-${n}`;

/** Builds deltas from ops; negations target an earlier delta, or a forged or missing id. */
export function buildDeltas(ops: readonly Op[]): Delta[] {
  const deltas: Delta[] = [];
  const forged = new Set<string>();
  const targetId = (n: number): string => {
    const choice = n % (deltas.length + 6);
    if (choice < deltas.length) return deltas[choice]!.id;
    if (choice < deltas.length + 4) return FORGED(choice - deltas.length);
    return `missing-${choice}`;
  };
  for (const o of ops) {
    if (o.kind === 'forged') {
      const id = FORGED(o.id);
      if (forged.has(id)) continue;
      forged.add(id);
      deltas.push(
        freezeDelta({
          id,
          timeCreated: o.time,
          creator: 'mallory',
          host: 'h',
          pointers: o.targets.map((t) => ({
            localContext: Vocabulary.negates,
            target: { id: targetId(t) },
            targetContext: Vocabulary.negatedBy,
          })),
        }),
      );
      continue;
    }
    const builder = createDeltaBuilder({ creator: CREATORS[o.creator]!, host: 'h', timeCreated: o.time });
    switch (o.kind) {
      case 'set':
        builder.set(ENTITIES[o.entity]!, { [PROPERTIES[o.property]!]: o.value });
        break;
      case 'relate':
        builder.relate(
          { entity: ENTITIES[o.from]!, property: PROPERTIES[o.property]!, role: 'from' },
          { entity: ENTITIES[o.to]!, property: 'back', role: 'to' },
        );
        break;
      case 'negate':
        builder.negate(targetId(o.target));
        break;
      case 'declare':
        builder.declareTransaction(TRANSACTIONS[o.tx]!, o.size);
        break;
      case 'member':
        builder.set(ENTITIES[o.entity]!, { [PROPERTIES[o.property]!]: o.value }).inTransaction(TRANSACTIONS[o.tx]!);
        break;
      case 'self':
        builder.set(ENTITIES[o.entity]!, { [LINKS]: { id: ENTITIES[o.entity]! } });
        break;
      case 'composite':
        // A relation with data: with one partner it is a reference, with two a composite (and a
        // partner that is also the lead, or named twice, is a self-reference).
        builder
          .relate(
            { entity: ENTITIES[o.lead]!, property: LINKS, role: 'lead' },
            ...o.partners.map((partner) => ({ entity: ENTITIES[partner]!, property: LINKS, role: 'partner' })),
          )
          .pointer({ localContext: 'budget', target: o.budget });
        break;
      case 'member-negate':
        builder.negate(targetId(o.target)).inTransaction(TRANSACTIONS[o.tx]!);
        break;
    }
    deltas.push(builder.build());
  }
  // Identical ops build identical deltas; the set is what matters.
  return [...new Map(deltas.map((d) => [d.id, d])).values()];
}

export const deltaSetArbitrary: fc.Arbitrary<Delta[]> = fc
  .array(op, { minLength: 1, maxLength: 40, size: 'medium' })
  .map(buildDeltas);

/** An ingest plan: every delta at least once, some twice, in any order, cut into batches. */
export interface IngestPlan {
  readonly batches: readonly (readonly Delta[])[];
}

export function ingestPlanArbitrary(deltas: readonly Delta[]): fc.Arbitrary<IngestPlan> {
  return fc
    .tuple(
      fc.shuffledSubarray([...deltas], { minLength: deltas.length, maxLength: deltas.length }),
      fc.subarray([...deltas]),
      fc.array(fc.nat(), { minLength: deltas.length, maxLength: deltas.length }),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }),
    )
    .map(([shuffled, duplicates, positions, sizes]) => {
      const sequence = [...shuffled];
      duplicates.forEach((delta, i) => sequence.splice((positions[i] ?? 0) % (sequence.length + 1), 0, delta));
      const batches: Delta[][] = [];
      let start = 0;
      for (let i = 0; start < sequence.length; i++) {
        const size = sizes[i % sizes.length]!;
        batches.push(sequence.slice(start, start + size));
        start += size;
      }
      return { batches };
    });
}

/**
 * fast-check parameters. On failure fast-check prints `{ seed, path }`; replay with
 * `RHIZOME_SEED=<seed> [RHIZOME_SEED_PATH=<path>] pnpm vitest run --project views`.
 */
export function propertyParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.RHIZOME_SEED === undefined ? undefined : Number(process.env.RHIZOME_SEED);
  const path = process.env.RHIZOME_SEED_PATH;
  return {
    numRuns,
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined ? {} : { path }),
    verbose: 0,
  };
}
