import type { Delta } from '@rhizome/core';
import type { PluginOptions, ResolverPlugin } from '@rhizome/plugins';
import { compareStamps } from './order.ts';
import { VERSION } from './version.ts';

interface Element {
  readonly value: unknown;
  /** The element's visible add deltas. */
  readonly adds: Map<string, Delta>;
}

/** Elements by the JSON of their value. */
export type OrSetState = Map<string, Element>;

function firstAdd(element: Element): Delta {
  let first: Delta | undefined;
  for (const delta of element.adds.values()) {
    if (
      first === undefined ||
      compareStamps(delta.timeCreated, delta.id, first.timeCreated, first.id) < 0
    )
      first = delta;
  }
  return first!;
}

/**
 * Observed-remove set. Each add is a delta; to remove an element, negate the add deltas you have
 * observed for it. An element is in the set while at least one of its adds is visible, so an add
 * made concurrently with a remove (which could not observe it) survives: add wins. The output
 * lists the elements ordered by their earliest visible add, (timeCreated, id).
 */
export function orSet(options: PluginOptions): ResolverPlugin<OrSetState, unknown[]> {
  return {
    name: '@rhizome/plugin-crdt/or-set',
    version: VERSION,
    property: options.property,
    reads: options.reads ?? [options.property],
    dependsOn: options.dependsOn ?? [],
    usesDependenciesInUpdate: false,
    initialize: () => new Map(),
    update(state, value, delta) {
      const key = JSON.stringify(value);
      let element = state.get(key);
      if (element === undefined) {
        element = { value, adds: new Map() };
        state.set(key, element);
      }
      element.adds.set(delta.id, delta);
      return state;
    },
    remove(state, value, delta) {
      const key = JSON.stringify(value);
      const element = state.get(key);
      if (element !== undefined && element.adds.delete(delta.id) && element.adds.size === 0)
        state.delete(key);
      return state;
    },
    resolve(state) {
      const ordered = [...state.values()].map((element) => ({ element, first: firstAdd(element) }));
      ordered.sort((a, b) =>
        compareStamps(a.first.timeCreated, a.first.id, b.first.timeCreated, b.first.id),
      );
      return ordered.map((entry) => entry.element.value);
    },
  };
}
