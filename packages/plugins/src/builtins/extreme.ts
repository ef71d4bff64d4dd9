import { compareDeltas, isReference, type Delta, type Target } from '@rhizome/core';
import type { PluginOptions, ResolverPlugin } from '../types.ts';
import { isFiniteNumber, pluginIdentity } from './define.ts';
import {
  addCandidate,
  createPickState,
  removeCandidate,
  type IsBetter,
  type PickState,
} from './pick.ts';

export interface ExtremeOptions extends PluginOptions {
  /**
   * Also report this property as asserted by the winning delta, e.g. max of `amount` tracking
   * `bidder` gives `{ value: 120, bidder: 'alice' }`. Without it the output is the bare number.
   */
  readonly tracking?: string;
}

export type ExtremeState = PickState<number>;

function trackedValue(delta: Delta, property: string): unknown {
  let found: Target | undefined;
  for (const pointer of delta.pointers) {
    if (pointer.localContext !== property) continue;
    if (!isReference(pointer.target)) return pointer.target;
    found ??= pointer.target;
  }
  return found;
}

function createExtreme(
  kind: 'min' | 'max',
  options: ExtremeOptions,
): ResolverPlugin<ExtremeState, number | Record<string, unknown> | undefined> {
  const sign = kind === 'max' ? 1 : -1;
  const { tracking } = options;
  // Equal values: the earliest delta holds the record, so the tracked property is stable.
  const isBetter: IsBetter<number> = (a, b) =>
    a.value !== b.value ? (a.value - b.value) * sign > 0 : compareDeltas(a.delta, b.delta) < 0;
  return {
    ...pluginIdentity(kind, options),
    initialize: () => createPickState<number>(),
    update: (state, value, delta) =>
      isFiniteNumber(value) ? addCandidate(state, { delta, value }, isBetter) : state,
    remove: (state, _value, delta) => removeCandidate(state, delta, isBetter),
    resolve(state) {
      const best = state.best;
      if (best === undefined) return undefined;
      if (tracking === undefined) return best.value;
      return { value: best.value, [tracking]: trackedValue(best.delta, tracking) };
    },
  };
}

/** Minimum of the finite numeric values (others skipped); `undefined` when there is none. */
export function min(options: ExtremeOptions) {
  return createExtreme('min', options);
}

/** Maximum of the finite numeric values (others skipped); `undefined` when there is none. */
export function max(options: ExtremeOptions) {
  return createExtreme('max', options);
}
