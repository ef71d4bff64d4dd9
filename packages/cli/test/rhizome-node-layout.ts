import { randomUUID } from 'node:crypto';
import { ClassicLevel } from 'classic-level';

/**
 * Writes LevelDB stores the way rhizome-node's `LevelDBDeltaStorage.storeDelta` does (see
 * docs/delta-format.md, "rhizome-node LevelDB stores"), written here from that description: a
 * `level` database with UTF-8 keys and values; per delta one batch of `delta:<id>` → the delta's
 * JSON and index keys whose value is the id.
 */

export type LegacyTarget = string | number | boolean | null;

export interface LegacyPointer {
  readonly localContext: string;
  readonly target: LegacyTarget;
  readonly targetContext?: string;
}

/** rhizome-node's in-memory delta, with its own field order (JSON.stringify keeps it). */
export interface LegacyDelta {
  readonly id: string;
  readonly host: string;
  readonly creator: string;
  readonly timeCreated: number;
  readonly pointers: readonly LegacyPointer[];
  readonly timeReceived: number;
  readonly receivedFrom?: { readonly addr: string; readonly port: number };
}

let clock = 1_700_000_000_000_000; // microseconds, as microtime.now() gives them

/** A delta as rhizome-node's builder makes it: a random uuid, a microsecond timestamp. */
export function legacyDelta(
  creator: string,
  pointers: readonly LegacyPointer[],
  options: { timeCreated?: number; receivedFrom?: { addr: string; port: number } } = {},
): LegacyDelta {
  const timeCreated = options.timeCreated ?? (clock += 1_000_003);
  return {
    id: randomUUID(),
    host: 'host-1',
    creator,
    timeCreated,
    pointers,
    timeReceived: timeCreated,
    ...(options.receivedFrom === undefined ? {} : { receivedFrom: options.receivedFrom }),
  };
}

/** `setProperty(entity, property, value, label)`: a reference to the entity, then the value. */
export function legacySet(
  creator: string,
  entity: string,
  property: string,
  value: LegacyTarget,
  options: { label?: string; timeCreated?: number } = {},
): LegacyDelta {
  return legacyDelta(
    creator,
    [
      { localContext: options.label ?? 'entity', target: entity, targetContext: property },
      { localContext: property, target: value },
    ],
    options,
  );
}

/** `negate(id)`: one pointer `_negates` → the old id, at `negated_by`. */
export function legacyNegation(creator: string, negated: LegacyDelta): LegacyDelta {
  return legacyDelta(creator, [
    { localContext: '_negates', target: negated.id, targetContext: 'negated_by' },
  ]);
}

/** Stores `deltas` as rhizome-node does: one atomic batch per delta, keys and index entries. */
export async function writeLegacyStore(
  dir: string,
  deltas: readonly LegacyDelta[],
  extra: readonly [key: string, value: string][] = [],
): Promise<void> {
  const db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  try {
    for (const delta of deltas) {
      const batch = db.batch();
      batch.put(`delta:${delta.id}`, JSON.stringify(delta));
      batch.put(`time:${delta.timeCreated.toString().padStart(16, '0')}:${delta.id}`, delta.id);
      batch.put(`creator:${delta.creator}:${delta.id}`, delta.id);
      batch.put(`host:${delta.host}:${delta.id}`, delta.id);
      for (const pointer of delta.pointers) {
        if (typeof pointer.target === 'string' && pointer.targetContext) {
          batch.put(`entity:${pointer.target}:${delta.id}`, delta.id);
          batch.put(`context:${pointer.target}:${pointer.targetContext}:${delta.id}`, delta.id);
        }
      }
      await batch.write();
    }
    for (const [key, value] of extra) await db.put(key, value);
  } finally {
    await db.close();
  }
}
