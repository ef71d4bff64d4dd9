import type { PluginOptions, ResolverPlugin } from '@rhizome/plugins';
import { VERSION } from './version.ts';

/** Sums of increments and of decrements; a plain value. */
export interface PnCounterState {
  increments: number;
  decrements: number;
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/**
 * PN-counter: each delta adds its amount (a safe integer; negative decrements); negating a delta
 * takes its amount back out. Integers keep the sum exact, so every order of arrivals gives the
 * same count. Other values are skipped. An untouched counter is 0.
 */
export function pnCounter(options: PluginOptions): ResolverPlugin<PnCounterState, number> {
  return {
    name: '@rhizome/plugin-crdt/pn-counter',
    version: VERSION,
    property: options.property,
    reads: options.reads ?? [options.property],
    dependsOn: options.dependsOn ?? [],
    usesDependenciesInUpdate: false,
    initialize: () => ({ increments: 0, decrements: 0 }),
    update(state, value) {
      if (!isAmount(value)) return state;
      if (value >= 0) state.increments += value;
      else state.decrements -= value;
      return state;
    },
    remove(state, value) {
      if (!isAmount(value)) return state;
      if (value >= 0) state.increments -= value;
      else state.decrements += value;
      return state;
    },
    resolve: (state) => state.increments - state.decrements,
  };
}
