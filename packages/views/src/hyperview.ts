import type { Delta } from '@rhizome/core';
import type { DeltaIndex } from './delta-index.ts';
import type { Hyperview } from './types.ts';
import type { Visibility } from './visibility.ts';

/** Keys in code-unit order, the same on every node whatever the insertion order. */
function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The entity's visible deltas by property, each list in total order; empty properties left out.
 * Properties come in code-unit order so that iteration is the same on every node.
 */
export function collectVisibleProperties(
  index: DeltaIndex,
  visibility: Visibility,
  entityId: string,
): Map<string, readonly Delta[]> {
  const result = new Map<string, readonly Delta[]>();
  const stored = index.entityProperties(entityId);
  if (stored === undefined) return result;
  const properties = sortedKeys(stored);
  const plain = index.isEntityPlain(entityId);
  for (const property of properties) {
    const visible = keepVisible(stored.get(property)!, visibility, plain);
    if (visible.length > 0) result.set(property, visible);
  }
  return result;
}

function keepVisible(deltas: readonly Delta[], visibility: Visibility, plain: boolean): Delta[] {
  // Plain entity (no negation targets, no transaction members): only the universe matters.
  if (plain && visibility.isUnrestricted) return deltas.slice();
  const visible: Delta[] = [];
  const keep = plain ? visibility.exists : visibility.isVisible;
  for (const delta of deltas) if (keep(delta)) visible.push(delta);
  return visible;
}

/** The entity's visible deltas under one property, in total order. */
export function collectVisibleDeltas(index: DeltaIndex, visibility: Visibility, entityId: string, property: string): Delta[] {
  const deltas = index.entityProperties(entityId)?.get(property);
  return deltas === undefined ? [] : keepVisible(deltas, visibility, index.isEntityPlain(entityId));
}

export function computeHyperview(index: DeltaIndex, visibility: Visibility, entityId: string): Hyperview {
  return { id: entityId, properties: collectVisibleProperties(index, visibility, entityId) };
}

/**
 * The entity's tombstones by property, in total order: deltas that exist and are effective but
 * are not visible (negated, or undecided on a negation cycle).
 */
export function collectNegatedProperties(
  index: DeltaIndex,
  visibility: Visibility,
  entityId: string,
): Map<string, readonly Delta[]> {
  const result = new Map<string, readonly Delta[]>();
  const stored = index.entityProperties(entityId);
  if (stored === undefined || index.isEntityPlain(entityId)) return result;
  const properties = sortedKeys(stored);
  for (const property of properties) {
    const negated = stored.get(property)!.filter((delta) => visibility.isEffective(delta) && !visibility.isVisible(delta));
    if (negated.length > 0) result.set(property, negated);
  }
  return result;
}
