import type { PluginOptions, ResolverPlugin } from '../types.ts';
import { pluginIdentity } from './define.ts';
import {
  addCandidate,
  createPickState,
  isEarlier,
  isLater,
  removeCandidate,
  type IsBetter,
  type PickState,
} from './pick.ts';

export type { PickState } from './pick.ts';

/** Keeps the value of the delta that sorts last (or first) in the total order (timeCreated, id). */
function createPick(
  kind: string,
  options: PluginOptions,
  isBetter: IsBetter<unknown>,
): ResolverPlugin<PickState<unknown>, unknown> {
  return {
    ...pluginIdentity(kind, options),
    initialize: () => createPickState<unknown>(),
    update: (state, value, delta) => addCandidate(state, { delta, value }, isBetter),
    remove: (state, _value, delta) => removeCandidate(state, delta, isBetter),
    resolve: (state) => state.best?.value,
  };
}

/**
 * Last-write-wins: the value of the latest visible delta by (timeCreated, id). `undefined` when
 * no visible delta sets the property. Negating the winner falls back to the next latest.
 */
export function lastWriteWins(options: PluginOptions): ResolverPlugin<PickState<unknown>, unknown> {
  return createPick('last-write-wins', options, isLater);
}

/** First-write-wins: the value of the earliest visible delta by (timeCreated, id), else `undefined`. */
export function firstWriteWins(
  options: PluginOptions,
): ResolverPlugin<PickState<unknown>, unknown> {
  return createPick('first-write-wins', options, isEarlier);
}
