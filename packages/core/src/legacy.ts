import { canonicalJson } from './canonical.ts';
import { createDelta } from './create.ts';
import { CoreErrorCode, RhizomeError, formatPath, isRhizomeError, type ErrorPath } from './errors.ts';
import type { Delta, DeltaId, Pointer, Target } from './types.ts';
import { Vocabulary } from './vocabulary.ts';

/**
 * Import of network images from the older rhizome-node, so its data can be migrated.
 *
 * rhizome-node sent deltas as `{ id, timeCreated, host, creator, pointers }` where `id` was a
 * random uuid, `timeCreated` usually came from `microtime.now()` (microseconds) and `pointers`
 * came in two shapes:
 * - an array of `{ localContext, target, targetContext? }` whose targets are plain strings,
 *   numbers, booleans or null; a *string* target *with* a targetContext is a reference to the
 *   entity of that id;
 * - an object keyed by localContext whose values are primitives or a one-entry object
 *   `{ [entityId]: targetContext }` (a reference).
 * Its negations were `_negates` → "<old delta id>" @ `negated_by`; its transactions already used
 * the vocabulary v1 keeps (`_transaction` @ `size` / `deltas`, `size: N`).
 *
 * Imported deltas get new content ids, so negations are rewritten to point at the new ids.
 */

/** Unit of a legacy `timeCreated`. */
export type LegacyTimeUnit = 'auto' | 'ms' | 'us';

export interface LegacyImportOptions {
  /**
   * Unit of the legacy timestamps. `auto` (default) reads values of at least 1e14 as microseconds
   * (1e14 µs is 1973; 1e14 ms is the year 5138) and smaller ones as milliseconds.
   */
  readonly timeUnit?: LegacyTimeUnit;
  /** Old id → new id from earlier batches, so negations of deltas migrated before resolve. */
  readonly knownIds?: ReadonlyMap<string, DeltaId>;
  /**
   * A negation whose target is neither in the batch nor in `knownIds`: `error` (default) throws
   * LEGACY_IMPORT_INVALID; `keep` keeps the old id as the reference target.
   */
  readonly unresolvedNegations?: 'error' | 'keep';
}

export interface LegacyImportResult {
  /** The imported v1 deltas in input order; an input repeated verbatim appears once. */
  readonly deltas: readonly Delta[];
  /** Every old id of the batch → the content id of its v1 delta. */
  readonly idMap: ReadonlyMap<string, DeltaId>;
}

/** Microsecond timestamps start here under `timeUnit: 'auto'`. */
export const LEGACY_MICROSECONDS_FROM = 1e14;

const LEGACY_NEGATES = '_negates';

interface LegacyPointer {
  readonly localContext: string;
  readonly target: Target;
  readonly targetContext?: string;
  /** Set on a negation pointer: the old id of the negated delta. */
  readonly negates?: string;
}

interface LegacyRecord {
  readonly oldId: string;
  readonly timeCreated: number;
  readonly host: string;
  readonly creator: string;
  readonly pointers: readonly LegacyPointer[];
  /** Where each pointer sits in the legacy delta (an index, or a localContext key). */
  readonly pointerPaths: readonly ErrorPath[];
}

/**
 * Imports a batch of rhizome-node network images (an array, in any order) as v1 deltas. Throws
 * LEGACY_IMPORT_INVALID with the JSON path (from the batch) of the first problem.
 */
export function importLegacyDeltas(images: unknown, options: LegacyImportOptions = {}): LegacyImportResult {
  if (!Array.isArray(images)) throw invalid([], 'legacy import expects an array of deltas');
  const records: LegacyRecord[] = [];
  const firstIndex = new Map<string, number>();
  const duplicateOf: (number | undefined)[] = [];
  images.forEach((image, index) => {
    const record = readLegacyImage(image, [index], options);
    records.push(record);
    const first = firstIndex.get(record.oldId);
    if (first === undefined) {
      firstIndex.set(record.oldId, index);
    } else if (fingerprint(records[first]!) !== fingerprint(record)) {
      throw invalid([index, 'id'], `old id ${record.oldId} is used by two different deltas (also at index ${first})`);
    }
    duplicateOf.push(first);
  });

  const idMap = new Map<string, DeltaId>();
  const built: (Delta | undefined)[] = new Array(records.length);
  // Depth-first over negation targets (iteratively: chains of negations can be long), so every
  // negated delta has its new id before the negation that points at it is hashed.
  const state = new Map<string, 'open' | 'done'>();
  for (let root = 0; root < records.length; root++) {
    if (duplicateOf[root] !== undefined || state.has(records[root]!.oldId)) continue;
    const stack: number[] = [root];
    state.set(records[root]!.oldId, 'open');
    while (stack.length > 0) {
      const index = stack[stack.length - 1]!;
      const record = records[index]!;
      const pending = findPendingDependency(record, firstIndex, state, index);
      if (pending !== undefined) {
        state.set(records[pending]!.oldId, 'open');
        stack.push(pending);
        continue;
      }
      stack.pop();
      const delta = buildDelta(record, [index], (oldId) => idMap.get(oldId), options);
      built[index] = delta;
      idMap.set(record.oldId, delta.id);
      state.set(record.oldId, 'done');
    }
  }

  const seen = new Set<DeltaId>();
  const deltas: Delta[] = [];
  for (const delta of built) {
    if (delta === undefined || seen.has(delta.id)) continue;
    seen.add(delta.id);
    deltas.push(delta);
  }
  return { deltas, idMap };
}

/**
 * Imports one rhizome-node network image. Its negations resolve through `knownIds`.
 * Returns the old id next to the new delta.
 */
export function importLegacyDelta(
  image: unknown,
  options: LegacyImportOptions = {},
): { readonly oldId: string; readonly delta: Delta } {
  const record = readLegacyImage(image, [], options);
  return { oldId: record.oldId, delta: buildDelta(record, [], () => undefined, options) };
}

function findPendingDependency(
  record: LegacyRecord,
  firstIndex: ReadonlyMap<string, number>,
  state: ReadonlyMap<string, 'open' | 'done'>,
  index: number,
): number | undefined {
  for (let i = 0; i < record.pointers.length; i++) {
    const negated = record.pointers[i]!.negates;
    if (negated === undefined) continue;
    const target = firstIndex.get(negated);
    if (target === undefined) continue;
    const status = state.get(negated);
    if (status === 'done') continue;
    if (status === 'open') {
      throw invalid([index, 'pointers', i], `negations form a cycle through old id ${negated}`);
    }
    return target;
  }
  return undefined;
}

function buildDelta(
  record: LegacyRecord,
  path: ErrorPath,
  resolveInBatch: (oldId: string) => DeltaId | undefined,
  options: LegacyImportOptions,
): Delta {
  const pointers: Pointer[] = record.pointers.map((pointer, i) => {
    if (pointer.negates === undefined) {
      return pointer.targetContext === undefined
        ? { localContext: pointer.localContext, target: pointer.target }
        : { localContext: pointer.localContext, target: pointer.target, targetContext: pointer.targetContext };
    }
    const newId = resolveInBatch(pointer.negates) ?? options.knownIds?.get(pointer.negates);
    if (newId === undefined && options.unresolvedNegations !== 'keep') {
      throw invalid(
        [...path, 'pointers', i, 'target'],
        `negation of old id ${pointer.negates}, which is neither in the batch nor in knownIds`,
      );
    }
    return { localContext: Vocabulary.negates, target: { id: newId ?? pointer.negates }, targetContext: Vocabulary.negatedBy };
  });
  try {
    return createDelta({ timeCreated: record.timeCreated, host: record.host, creator: record.creator, pointers });
  } catch (error) {
    if (!isRhizomeError(error)) throw error;
    throw invalid([...path, ...toLegacyPath(error.path ?? [], record)], `not a valid v1 delta: ${error.message}`, error);
  }
}

function readLegacyImage(image: unknown, path: ErrorPath, options: LegacyImportOptions): LegacyRecord {
  if (!isPlainRecord(image)) throw invalid(path, 'a legacy delta must be an object');
  const oldId = readName(image, 'id', path);
  const host = readName(image, 'host', path);
  const creator = readName(image, 'creator', path);
  const timeCreated = readTime(image.timeCreated, [...path, 'timeCreated'], options.timeUnit ?? 'auto');
  const raw = image.pointers;
  const pointersPath = [...path, 'pointers'];
  let pointers: LegacyPointer[];
  let pointerPaths: ErrorPath[];
  if (Array.isArray(raw)) {
    pointers = raw.map((pointer, i) => readArrayPointer(pointer, [...pointersPath, i]));
    pointerPaths = raw.map((_, i) => ['pointers', i]);
  } else if (isPlainRecord(raw)) {
    const entries = Object.entries(raw);
    pointers = entries.map(([localContext, value]) => readKeyedPointer(localContext, value, [...pointersPath, localContext]));
    pointerPaths = entries.map(([localContext]) => ['pointers', localContext]);
  } else {
    throw invalid(pointersPath, 'pointers must be an array or an object keyed by localContext');
  }
  if (pointers.length === 0) throw invalid(pointersPath, 'a delta needs at least one pointer');
  return { oldId, timeCreated, host, creator, pointers, pointerPaths };
}

/** Maps a v1 error path (pointer index) onto the legacy delta (index or localContext key). */
function toLegacyPath(path: ErrorPath, record: LegacyRecord): ErrorPath {
  const index = path[1];
  if (path[0] !== 'pointers' || typeof index !== 'number') return path;
  return [...(record.pointerPaths[index] ?? path.slice(0, 2)), ...path.slice(2)];
}

function fingerprint(record: LegacyRecord): string {
  const { oldId, timeCreated, host, creator, pointers } = record;
  return canonicalJson({ oldId, timeCreated, host, creator, pointers });
}

function readArrayPointer(value: unknown, path: ErrorPath): LegacyPointer {
  if (!isPlainRecord(value)) throw invalid(path, 'a pointer must be an object');
  const localContext = readName(value, 'localContext', path);
  if (value.target === undefined) throw invalid([...path, 'target'], 'target is missing');
  const target = readPrimitive(value.target, [...path, 'target']);
  // Stores that round-tripped rhizome-node deltas through SQL often wrote an absent targetContext as null.
  if (value.targetContext === undefined || value.targetContext === null) return { localContext, target };
  const targetContext = readName(value, 'targetContext', path);
  if (typeof target !== 'string') {
    throw invalid([...path, 'targetContext'], 'targetContext needs a string target (an entity id)');
  }
  return toReferencePointer(localContext, target, targetContext, path);
}

function readKeyedPointer(localContext: string, value: unknown, path: ErrorPath): LegacyPointer {
  if (localContext.length === 0) throw invalid(path, 'localContext must be a non-empty string');
  if (!isPlainRecord(value)) return { localContext, target: readPrimitive(value, path) };
  const entries = Object.entries(value);
  const entry = entries[0];
  if (entries.length !== 1 || entry === undefined) {
    throw invalid(path, 'a reference must be an object with exactly one entry { entityId: targetContext }');
  }
  const [entityId, targetContext] = entry;
  if (entityId.length === 0) throw invalid(path, 'a referenced entity id must be a non-empty string');
  if (typeof targetContext !== 'string' || targetContext.length === 0) {
    throw invalid([...path, entityId], 'a reference targetContext must be a non-empty string');
  }
  return toReferencePointer(localContext, entityId, targetContext, path);
}

function toReferencePointer(localContext: string, entityId: string, targetContext: string, path: ErrorPath): LegacyPointer {
  const isNegation =
    (localContext === LEGACY_NEGATES || localContext === Vocabulary.negates) && targetContext === Vocabulary.negatedBy;
  if (isNegation) {
    if (entityId.length === 0) throw invalid([...path, 'target'], 'a negation needs the id of the negated delta');
    return { localContext: Vocabulary.negates, target: { id: entityId }, targetContext, negates: entityId };
  }
  return { localContext, target: { id: entityId }, targetContext };
}

function readPrimitive(value: unknown, path: ErrorPath): Target {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(path, 'numbers must be finite');
    return value;
  }
  throw invalid(path, 'a target must be a string, number, boolean or null');
}

function readName(record: Record<string, unknown>, key: string, path: ErrorPath): string {
  const value = record[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid([...path, key], `${key} must be a non-empty string`);
  }
  return value;
}

function readTime(value: unknown, path: ErrorPath, unit: LegacyTimeUnit): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(path, 'timeCreated must be a finite, non-negative number');
  }
  const isMicroseconds = unit === 'us' || (unit === 'auto' && value >= LEGACY_MICROSECONDS_FROM);
  return Math.floor(isMicroseconds ? value / 1000 : value);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(path: ErrorPath, message: string, cause?: unknown): RhizomeError {
  return new RhizomeError(CoreErrorCode.LegacyImportInvalid, `${formatPath(path)}: ${message}`, {
    path,
    ...(cause === undefined ? {} : { cause }),
  });
}
