import type { Delta } from '@rhizome/core';
import {
  createPropertyStateFactory,
  type PropertyState,
  type PropertyStateFactory,
} from './property-state.ts';
import { createValueExtractor, matchesKind, type FlatView } from './resolve-view.ts';
import type { PropertyDefinition, PropertyKind, Schema, ValueOverride } from './schema.ts';
import type { ResolverEntry, Value } from './types.ts';

interface PropertyPlan {
  readonly kind: PropertyKind;
  readonly factory: PropertyStateFactory;
  readonly override: ValueOverride | undefined;
}

/** How an incremental view resolves its properties: a schema's, or every property last-write-wins. */
export interface ViewPlan {
  /** The schema's properties in schema order; undefined for the schemaless view. */
  readonly properties: readonly (readonly [string, PropertyPlan])[] | undefined;
  /** Plan of every property of the schemaless view. */
  readonly fallback: PropertyPlan;
}

const LWW_ANY: PropertyPlan = {
  kind: 'any',
  factory: createPropertyStateFactory('lww'),
  override: undefined,
};

/** The plan of a schema with per-property resolvers, or of the schemaless view (`undefined`). */
export function createViewPlan(schema: Schema | undefined): ViewPlan {
  if (schema === undefined) return { properties: undefined, fallback: LWW_ANY };
  const properties = (Object.entries(schema.properties) as [string, PropertyDefinition][]).map(
    ([property, definition]) =>
      [
        property,
        {
          kind: definition.kind,
          factory: createPropertyStateFactory(definition.resolver),
          override: definition.value,
        },
      ] as const,
  );
  return { properties, fallback: LWW_ANY };
}

/** The entity's visible deltas under the default read, each list in total order. */
export interface VisibleDeltaSource {
  /** Every property with a visible delta, in code-unit order. */
  all(): ReadonlyMap<string, readonly Delta[]>;
  of(property: string): readonly Delta[];
}

/**
 * A cached view kept current delta by delta: `apply` is told each delta that became visible or
 * stopped being visible under a property, and the property's resolver state follows it.
 */
export interface IncrementalView {
  apply(property: string, delta: Delta, visible: boolean): void;
  /** The flat view; equal to resolving the entity's visible deltas from scratch. */
  flat(): FlatView;
}

interface Slot {
  readonly plan: PropertyPlan;
  readonly extract: (delta: Delta) => Value;
  /** Undefined when it could not follow a change: rebuilt from the index on the next read. */
  state: PropertyState | undefined;
  /** Visible deltas under the property, whatever their kind (the schemaless view drops a property at 0). */
  visible: number;
  value: unknown;
  fresh: boolean;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function createIncrementalView(
  plan: ViewPlan,
  entityId: string,
  source: VisibleDeltaSource,
): IncrementalView {
  const slots = new Map<string, Slot>();
  const schemaless = plan.properties === undefined;
  let order: readonly string[] | undefined = plan.properties?.map(([property]) => property);
  let flat: FlatView | undefined;

  const build = (slot: Slot, property: string, deltas: readonly Delta[]): PropertyState => {
    const entries: ResolverEntry[] = [];
    for (const delta of deltas) {
      const value = slot.extract(delta);
      if (matchesKind(slot.plan.kind, value)) entries.push({ delta, value });
    }
    slot.visible = deltas.length;
    return slot.plan.factory(entries, { entityId, property });
  };

  const addSlot = (
    property: string,
    propertyPlan: PropertyPlan,
    deltas: readonly Delta[],
  ): Slot => {
    const slot: Slot = {
      plan: propertyPlan,
      extract: createValueExtractor(propertyPlan.override, entityId, property),
      state: undefined,
      visible: 0,
      value: undefined,
      fresh: false,
    };
    slot.state = build(slot, property, deltas);
    slots.set(property, slot);
    return slot;
  };

  const visible = source.all();
  if (plan.properties === undefined) {
    for (const [property, deltas] of visible) addSlot(property, plan.fallback, deltas);
  } else {
    for (const [property, propertyPlan] of plan.properties)
      addSlot(property, propertyPlan, visible.get(property) ?? []);
  }

  return {
    apply(property, delta, becameVisible) {
      let slot = slots.get(property);
      if (slot === undefined) {
        if (!schemaless || !becameVisible) return;
        slot = addSlot(property, plan.fallback, []);
        order = undefined;
      }
      flat = undefined;
      slot.visible += becameVisible ? 1 : -1;
      if (schemaless && slot.visible <= 0) {
        slots.delete(property);
        order = undefined;
        return;
      }
      if (slot.state === undefined) return;
      const value = slot.extract(delta);
      if (!matchesKind(slot.plan.kind, value)) return;
      const entry = { delta, value };
      if (!(becameVisible ? slot.state.add(entry) : slot.state.remove(entry)))
        slot.state = undefined;
      slot.fresh = false;
    },
    flat() {
      if (flat !== undefined) return flat;
      order ??= [...slots.keys()].sort(compareText);
      const entries: [string, unknown][] = [];
      for (const property of order) {
        const slot = slots.get(property)!;
        if (!slot.fresh) {
          slot.state ??= build(slot, property, source.of(property));
          const value = slot.state.value();
          slot.value = Array.isArray(value) ? Object.freeze(value) : value;
          slot.fresh = true;
        }
        if (slot.value !== undefined) entries.push([property, slot.value]);
      }
      flat = Object.freeze(Object.fromEntries(entries));
      return flat;
    },
  };
}
