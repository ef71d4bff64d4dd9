import type { PluginOptions, ResolverPlugin } from '../types.ts';
import { pluginIdentity } from './define.ts';

/** How many times each visible delta was counted (a delta listed under two read properties counts once). */
export type CountState = Map<string, number>;

/** Count: the number of distinct visible deltas for the property (0 when there are none). */
export function count(options: PluginOptions): ResolverPlugin<CountState, number> {
  return {
    ...pluginIdentity('count', options),
    initialize: () => new Map(),
    update(state, _value, delta) {
      state.set(delta.id, (state.get(delta.id) ?? 0) + 1);
      return state;
    },
    remove(state, _value, delta) {
      const seen = state.get(delta.id);
      if (seen === undefined) return state;
      if (seen <= 1) state.delete(delta.id);
      else state.set(delta.id, seen - 1);
      return state;
    },
    resolve: (state) => state.size,
  };
}
