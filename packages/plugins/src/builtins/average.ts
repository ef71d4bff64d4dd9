import type { PluginOptions, ResolverPlugin } from '../types.ts';
import { isFiniteNumber, pluginIdentity } from './define.ts';
import { addToPartials, roundPartials } from './exact-sum.ts';

export interface AverageState {
  readonly partials: number[];
  count: number;
}

/**
 * Running average of the finite numeric values (others skipped), kept incrementally with an
 * exact sum so the result is the same in every delivery order. `undefined` when there is none.
 */
export function average(options: PluginOptions): ResolverPlugin<AverageState, number | undefined> {
  return {
    ...pluginIdentity('average', options),
    initialize: () => ({ partials: [], count: 0 }),
    update(state, value) {
      if (!isFiniteNumber(value)) return state;
      addToPartials(state.partials, value);
      state.count += 1;
      return state;
    },
    remove(state, value) {
      if (!isFiniteNumber(value)) return state;
      addToPartials(state.partials, -value);
      state.count -= 1;
      return state;
    },
    resolve: (state) =>
      state.count === 0 ? undefined : roundPartials(state.partials) / state.count,
  };
}
