import { compareDeltas, isReference, type Delta, type RhizomeError } from '@rhizome/core';
import { isEqualValue } from './equal.ts';
import { createPluginError, PluginErrorCode } from './errors.ts';
import type { Plan, PlannedSlot } from './plan.ts';
import type {
  Dependencies,
  EntityChange,
  ResolvedView,
  TraceSink,
  UpdateContext,
} from './types.ts';

export type ValueOf = (delta: Delta, entityId: string, property: string) => unknown;

export interface RuntimeSettings {
  readonly plan: Plan;
  readonly readValue: ValueOf;
  readonly tracer: TraceSink | undefined;
  readonly onError: (error: RhizomeError) => void;
}

/**
 * The incremental resolution of one entity: the deltas seen (visible and negated) and each
 * plugin's state. Feed it changes; read `view()`. It always equals a from-scratch resolution of
 * the same visible and negated deltas.
 */
export interface EntityResolution {
  readonly entityId: string;
  /** Applies a batch; deltas already in the given state are ignored (idempotent). */
  apply(change: EntityChange): void;
  /** The resolved output of every declared plugin. */
  view(): ResolvedView;
  /** The resolved output of one declared plugin or plain-property dependency. */
  get(property: string): unknown;
  visibleDeltas(): Delta[];
  negatedDeltas(): Delta[];
  /** Calls each plugin's `dispose`; the resolution must not be used afterwards. */
  dispose(): void;
}

interface Slot {
  readonly planned: PlannedSlot;
  state: unknown;
  value: unknown;
  /** The resolved value is stale. */
  dirty: boolean;
  /** Bumped each time the resolved value changes; dependents compare it with what they saw. */
  version: number;
  /** Dependency versions the state was last built or updated with (plugins using deps in update). */
  readonly seenByUpdate: number[];
  /** Dependency versions the value was last resolved with. */
  readonly seenByResolve: number[];
}

/** A delta the entity has seen; shared by the id map and the per-property index. */
interface Entry {
  readonly delta: Delta;
  negated: boolean;
  /** Listed in the per-property index (routing happens once, on first sight). */
  routed: boolean;
}

type EventKind = 0 | 1 | 2; // 0 became visible, 1 visible → negated, 2 arrived already negated

interface SlotEvent {
  readonly kind: EventKind;
  readonly delta: Delta;
  readonly property: string;
}

const NO_DEPENDENCIES: Dependencies = Object.freeze({});

export function createEntityResolution(
  entityId: string,
  settings: RuntimeSettings,
  initial?: EntityChange,
): EntityResolution {
  const { plan, readValue, tracer, onError } = settings;
  // Every delta seen, visible or negated: flipping visibility is a field write, not map traffic.
  const known = new Map<string, Entry>();
  let negatedCount = 0;
  // Per read property, so rebuilding one plugin touches only its own inputs.
  const byProperty = new Map<string, Map<string, Entry>>();
  const indexByProperty = new Map<string, number>();

  const slots: Slot[] = plan.slots.map((planned, index) => {
    indexByProperty.set(planned.plugin.property, index);
    return {
      planned,
      state: undefined,
      value: undefined,
      dirty: true,
      version: 0,
      seenByUpdate: planned.dependencyIndexes.map(() => -1),
      seenByResolve: planned.dependencyIndexes.map(() => -1),
    };
  });

  const report = (slot: Slot, phase: string, cause: unknown, delta?: Delta): void => {
    const plugin = slot.planned.plugin;
    const error = createPluginError(
      PluginErrorCode.PluginFailed,
      `plugin "${plugin.property}" (${plugin.name}@${plugin.version}) threw in ${phase}` +
        (delta === undefined ? '' : ` for delta ${delta.id}`) +
        ` on entity "${entityId}"`,
      {
        cause,
        details: {
          plugin: plugin.name,
          property: plugin.property,
          entityId,
          phase,
          deltaId: delta?.id,
        },
      },
    );
    if (tracer !== undefined)
      tracer({ kind: 'error', entityId, plugin: plugin.name, property: plugin.property, error });
    onError(error);
  };

  /**
   * Resolves a slot if its state changed or a dependency's value moved since it last resolved.
   * Lazy: nothing is resolved until a view, a dependent's update or a rebuild needs it.
   */
  const ensureResolved = (index: number): void => {
    const slot = slots[index]!;
    const dependencyIndexes = slot.planned.dependencyIndexes;
    let dependencyMoved = false;
    for (let k = 0; k < dependencyIndexes.length; k += 1) {
      const dependency = dependencyIndexes[k]!;
      if (dependency < 0) continue;
      ensureResolved(dependency);
      const version = slots[dependency]!.version;
      if (slot.seenByResolve[k] !== version) {
        slot.seenByResolve[k] = version;
        dependencyMoved = true;
      }
    }
    if (!slot.dirty && !dependencyMoved) return;
    const deps = collectDependencies(slot);
    let value: unknown;
    try {
      value = slot.planned.plugin.resolve(slot.state, deps);
    } catch (cause) {
      report(slot, 'resolve', cause);
      value = undefined;
    }
    if (tracer !== undefined) {
      tracer({
        kind: 'resolve',
        entityId,
        plugin: slot.planned.plugin.name,
        property: slot.planned.plugin.property,
        deps,
        output: value,
      });
    }
    if (!isEqualValue(value, slot.value)) {
      slot.value = value;
      slot.version += 1;
    }
    slot.dirty = false;
  };

  const collectDependencies = (slot: Slot): Dependencies => {
    const { dependencyIndexes, dependencyNames } = slot.planned;
    if (dependencyIndexes.length === 0) return NO_DEPENDENCIES;
    const deps: Record<string, unknown> = {};
    for (let k = 0; k < dependencyIndexes.length; k += 1) {
      const index = dependencyIndexes[k]!;
      if (index < 0) {
        deps[dependencyNames[k]!] = undefined;
        continue;
      }
      ensureResolved(index);
      deps[dependencyNames[k]!] = slots[index]!.value;
    }
    return deps;
  };

  /**
   * For a plugin that uses deps while updating: true when a dependency's value moved since its
   * state was last built or updated (resolving the dependencies to find out); records the versions.
   */
  const consumeDependencyVersions = (slot: Slot): boolean => {
    const { dependencyIndexes } = slot.planned;
    let changed = false;
    for (let k = 0; k < dependencyIndexes.length; k += 1) {
      const index = dependencyIndexes[k]!;
      if (index >= 0) ensureResolved(index);
      const version = index < 0 ? 0 : slots[index]!.version;
      if (slot.seenByUpdate[k] !== version) {
        changed = true;
        slot.seenByUpdate[k] = version;
      }
    }
    return changed;
  };

  // Contexts are immutable: one per property, not one per call.
  const contexts = new Map<string, UpdateContext>();
  const contextFor = (property: string): UpdateContext => {
    let context = contexts.get(property);
    if (context === undefined) {
      context = Object.freeze({ entityId, property });
      contexts.set(property, context);
    }
    return context;
  };

  // One path for both lifecycle steps, so tracing and error reporting cannot drift apart.
  const runStep = (
    kind: 'update' | 'remove',
    slot: Slot,
    delta: Delta,
    property: string,
    deps: Dependencies,
  ): void => {
    const plugin = slot.planned.plugin;
    const value = readValue(delta, entityId, property);
    if (tracer !== undefined) {
      tracer({ kind, entityId, plugin: plugin.name, property: plugin.property, deltaId: delta.id, input: value, deps });
    }
    try {
      slot.state =
        kind === 'update'
          ? plugin.update(slot.state, value, delta, deps, contextFor(property))
          : plugin.remove!(slot.state, value, delta, deps, contextFor(property));
    } catch (cause) {
      report(slot, kind, cause, delta);
    }
  };
  const runUpdate = (slot: Slot, delta: Delta, property: string, deps: Dependencies): void =>
    runStep('update', slot, delta, property, deps);
  const runRemove = (slot: Slot, delta: Delta, property: string, deps: Dependencies): void =>
    runStep('remove', slot, delta, property, deps);

  /** The properties of this entity that `delta` is listed under, in pointer order, without repeats. */
  const propertiesOf = (delta: Delta): string[] => {
    const properties: string[] = [];
    for (const pointer of delta.pointers) {
      const target = pointer.target;
      if (
        pointer.targetContext !== undefined &&
        isReference(target) &&
        target.id === entityId &&
        !properties.includes(pointer.targetContext)
      ) {
        properties.push(pointer.targetContext);
      }
    }
    return properties;
  };

  const sortedDeltas = (wantNegated: boolean): Delta[] => {
    const deltas: Delta[] = [];
    for (const entry of known.values()) if (entry.negated === wantNegated) deltas.push(entry.delta);
    return deltas.sort(compareDeltas);
  };

  const rebuild = (slot: Slot, deps: Dependencies): void => {
    const plugin = slot.planned.plugin;
    if (tracer !== undefined)
      tracer({ kind: 'rebuild', entityId, plugin: plugin.name, property: plugin.property, deps });
    const previous = slot.state;
    try {
      slot.state = plugin.initialize(deps);
    } catch (cause) {
      report(slot, 'initialize', cause);
      slot.state = undefined;
    }
    if (previous !== undefined && plugin.dispose !== undefined) {
      try {
        plugin.dispose(previous);
      } catch (cause) {
        report(slot, 'dispose', cause);
      }
    }
    const reads = slot.planned.reads;
    if (reads.length === 0) return;
    // Only the deltas listed under what this plugin reads, in the one total order.
    const collect = (wantNegated: boolean): { delta: Delta; property: string }[] => {
      const inputs: { delta: Delta; property: string }[] = [];
      for (const property of reads) {
        const index = byProperty.get(property);
        if (index === undefined) continue;
        for (const entry of index.values())
          if (entry.negated === wantNegated) inputs.push({ delta: entry.delta, property });
      }
      return inputs.sort((a, b) => compareDeltas(a.delta, b.delta));
    };
    for (const input of collect(false)) runUpdate(slot, input.delta, input.property, deps);
    if (slot.planned.keepsTombstones && negatedCount > 0) {
      // Tombstone-keeping plugins (the sequence) need negated deltas to place their successors.
      const hidden = collect(true);
      for (const input of hidden) runUpdate(slot, input.delta, input.property, deps);
      for (const input of hidden) runRemove(slot, input.delta, input.property, deps);
    }
  };

  const process = (
    slot: Slot,
    events: readonly SlotEvent[] | undefined,
    initializing: boolean,
  ): void => {
    const { planned } = slot;
    const dependencyChanged = planned.usesDependenciesInUpdate && consumeDependencyVersions(slot);
    if (!initializing && !dependencyChanged && events === undefined) return;
    const deps = collectDependencies(slot);
    const plugin = planned.plugin;
    let needsRebuild = initializing || dependencyChanged;
    if (!needsRebuild && events !== undefined && plugin.remove === undefined) {
      needsRebuild = events.some((event) => event.kind === 1);
    }
    if (needsRebuild) {
      rebuild(slot, deps);
      slot.dirty = true;
      return;
    }
    if (events !== undefined) {
      for (const event of events) {
        if (event.kind === 0) runUpdate(slot, event.delta, event.property, deps);
        else if (plugin.remove === undefined) continue;
        else if (event.kind === 1) runRemove(slot, event.delta, event.property, deps);
        else if (slot.planned.keepsTombstones) {
          // Never seen visible, but a tombstone plugin still needs to know where it was.
          runUpdate(slot, event.delta, event.property, deps);
          runRemove(slot, event.delta, event.property, deps);
        }
      }
      slot.dirty = true;
    }
  };

  const route = (
    perSlot: (SlotEvent[] | undefined)[],
    entries: readonly Entry[],
    kind: EventKind,
  ): void => {
    for (const entry of entries) {
      const delta = entry.delta;
      for (const property of propertiesOf(delta)) {
        const readers = plan.readers.get(property);
        if (readers === undefined) continue;
        if (!entry.routed) {
          let propertyIndex = byProperty.get(property);
          if (propertyIndex === undefined) {
            propertyIndex = new Map();
            byProperty.set(property, propertyIndex);
          }
          propertyIndex.set(delta.id, entry);
        }
        for (const index of readers) {
          const event: SlotEvent = { kind, delta, property };
          const list = perSlot[index];
          if (list === undefined) perSlot[index] = [event];
          else list.push(event);
        }
      }
      entry.routed = true;
    }
  };

  const byDelta = (a: Entry, b: Entry): number => compareDeltas(a.delta, b.delta);

  const apply = (change: EntityChange): void => {
    const shown: Entry[] = [];
    const hidden: Entry[] = [];
    const arrivedHidden: Entry[] = [];
    if (change.visible !== undefined) {
      for (const delta of change.visible) {
        const entry = known.get(delta.id);
        if (entry === undefined) {
          const fresh: Entry = { delta, negated: false, routed: false };
          known.set(delta.id, fresh);
          shown.push(fresh);
        } else if (entry.negated) {
          entry.negated = false;
          negatedCount -= 1;
          shown.push(entry);
        }
      }
    }
    if (change.negated !== undefined) {
      for (const delta of change.negated) {
        const entry = known.get(delta.id);
        if (entry === undefined) {
          const fresh: Entry = { delta, negated: true, routed: false };
          known.set(delta.id, fresh);
          negatedCount += 1;
          arrivedHidden.push(fresh);
        } else if (!entry.negated) {
          entry.negated = true;
          negatedCount += 1;
          hidden.push(entry);
        }
      }
    }
    if (shown.length + hidden.length + arrivedHidden.length === 0) return;
    // One total order inside a batch, so a transaction with two values for one property resolves
    // the same on every node.
    if (shown.length > 1) shown.sort(byDelta);
    if (hidden.length > 1) hidden.sort(byDelta);
    if (arrivedHidden.length > 1) arrivedHidden.sort(byDelta);
    const perSlot: (SlotEvent[] | undefined)[] = new Array(slots.length);
    route(perSlot, shown, 0);
    route(perSlot, hidden, 1);
    route(perSlot, arrivedHidden, 2);
    for (let index = 0; index < slots.length; index += 1) {
      const slot = slots[index]!;
      const events = perSlot[index];
      // A plugin that only resolves with its deps notices their changes when it is next read.
      if (events === undefined && !slot.planned.usesDependenciesInUpdate) continue;
      process(slot, events, false);
    }
  };

  for (const slot of slots) process(slot, undefined, true);
  if (initial !== undefined) apply(initial);

  return {
    entityId,
    apply,
    view() {
      const view: Record<string, unknown> = {};
      slots.forEach((slot, index) => {
        if (!slot.planned.declared) return;
        ensureResolved(index);
        view[slot.planned.plugin.property] = slot.value;
      });
      return view;
    },
    get(property) {
      const index = indexByProperty.get(property);
      if (index === undefined) return undefined;
      ensureResolved(index);
      return slots[index]!.value;
    },
    visibleDeltas: () => sortedDeltas(false),
    negatedDeltas: () => sortedDeltas(true),
    dispose() {
      for (const slot of slots) {
        const plugin = slot.planned.plugin;
        if (plugin.dispose === undefined) continue;
        try {
          plugin.dispose(slot.state);
        } catch (cause) {
          report(slot, 'dispose', cause);
        }
      }
    },
  };
}
