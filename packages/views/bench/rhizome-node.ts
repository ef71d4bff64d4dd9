/**
 * The predecessor rhizome-node's plain ingest, measured in the same run as ours (issue 14, part 1).
 * rhizome-node is not published; `RHIZOME_NODE_DIR` points at a checkout of it with its
 * dependencies installed (docs/benchmarks.md says how). Its own TypeScript sources are loaded
 * through tsx from there; nothing of it lives in this repository.
 *
 * "Plain ingest" is its in-memory index, `Hyperview.ingestDelta`, with no view resolved: what a
 * rhizome-node does for every delta it accepts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROPERTIES } from './synthetic-deltas.ts';

interface RhizomeNodeDelta {
  readonly id: string;
}

interface RhizomeNodeModules {
  readonly Hyperview: new (node: { config: { peerId: string } }) => {
    ingestDelta(delta: RhizomeNodeDelta): unknown;
  };
  readonly createDelta: (
    creator: string,
    host: string,
  ) => {
    withTimestamp(time: number): ReturnType<RhizomeNodeModules['createDelta']>;
    setProperty(
      entity: string,
      property: string,
      value: string | number,
      label: string,
    ): ReturnType<RhizomeNodeModules['createDelta']>;
    buildV1(): RhizomeNodeDelta;
  };
}

/** rhizome-node's modules from `RHIZOME_NODE_DIR`, or a reason why they cannot be loaded. */
export async function loadRhizomeNode(): Promise<RhizomeNodeModules | string> {
  const dir = process.env.RHIZOME_NODE_DIR;
  if (dir === undefined || dir === '') return 'skipped: set RHIZOME_NODE_DIR';
  const hyperview = join(dir, 'src/views/hyperview.ts');
  const builder = join(dir, 'src/core/delta-builder.ts');
  if (!existsSync(hyperview) || !existsSync(builder)) {
    return `skipped: ${dir} has no src/views/hyperview.ts (not a rhizome-node checkout?)`;
  }
  if (!existsSync(join(dir, 'node_modules'))) {
    return `skipped: ${dir} has no node_modules (install its npm dependencies there)`;
  }
  const { Hyperview } = (await import(pathToFileURL(hyperview).href)) as Pick<
    RhizomeNodeModules,
    'Hyperview'
  >;
  const { createDelta } = (await import(pathToFileURL(builder).href)) as Pick<
    RhizomeNodeModules,
    'createDelta'
  >;
  return { Hyperview, createDelta };
}

/**
 * Deltas per second of rhizome-node's `Hyperview.ingestDelta`, TOTAL deltas round-robin over
 * TOTAL / perEntity entities: the same workload as the subscribed-view figures (one property set
 * per delta, the same properties, values and timestamps), its deltas built before the clock runs.
 */
export function rhizomeNodeIngestRate(
  modules: RhizomeNodeModules,
  total: number,
  perEntity: number,
  t0: number,
): number {
  const entities = total / perEntity;
  const deltas = Array.from({ length: total }, (_, i) => {
    const e = i % entities;
    const n = Math.floor(i / entities) + e;
    const property = PROPERTIES[n % PROPERTIES.length]!;
    const value = property === 'age' || property === 'score' ? n % 100 : `v${n % 1000}`;
    return modules
      .createDelta(`creator-${n % 10}`, `host-${n % 2}`)
      .withTimestamp(t0 + i)
      .setProperty(`entity-${e}`, property, value, 'entity')
      .buildV1();
  });
  const hyperview = new modules.Hyperview({ config: { peerId: 'bench' } });
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.hrtime.bigint();
  for (const delta of deltas) hyperview.ingestDelta(delta);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return (total / ms) * 1000;
}
