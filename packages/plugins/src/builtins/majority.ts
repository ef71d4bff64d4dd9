import { compareDeltas, type Delta } from '@rhizome/core';
import type { PluginOptions, ResolverPlugin } from '../types.ts';
import { pluginIdentity } from './define.ts';

interface Candidate {
  readonly value: unknown;
  /** The visible deltas asserting this value, by id. */
  readonly deltas: Map<string, Delta>;
}

/** Candidates by canonical JSON of the value. */
export type MajorityState = Map<string, Candidate>;

function earliest(deltas: Map<string, Delta>): Delta {
  let best: Delta | undefined;
  for (const delta of deltas.values())
    if (best === undefined || compareDeltas(delta, best) < 0) best = delta;
  return best!;
}

/**
 * Majority vote: the value asserted by the most visible deltas; a tie goes to the value whose
 * earliest delta (timeCreated, id) is earliest. Values are compared by their JSON form, so
 * references compare by id. `undefined` when no visible delta remains.
 */
export function majority(options: PluginOptions): ResolverPlugin<MajorityState, unknown> {
  return {
    ...pluginIdentity('majority', options),
    initialize: () => new Map(),
    update(state, value, delta) {
      const key = JSON.stringify(value);
      let candidate = state.get(key);
      if (candidate === undefined) {
        candidate = { value, deltas: new Map() };
        state.set(key, candidate);
      }
      candidate.deltas.set(delta.id, delta);
      return state;
    },
    remove(state, value, delta) {
      const key = JSON.stringify(value);
      const candidate = state.get(key);
      if (
        candidate !== undefined &&
        candidate.deltas.delete(delta.id) &&
        candidate.deltas.size === 0
      )
        state.delete(key);
      return state;
    },
    resolve(state) {
      let winner: Candidate | undefined;
      let winnerFirst: Delta | undefined;
      for (const candidate of state.values()) {
        const first = earliest(candidate.deltas);
        if (
          winner === undefined ||
          candidate.deltas.size > winner.deltas.size ||
          (candidate.deltas.size === winner.deltas.size && compareDeltas(first, winnerFirst!) < 0)
        ) {
          winner = candidate;
          winnerFirst = first;
        }
      }
      return winner?.value;
    },
  };
}
