import { compareDeltas, type Delta } from '@rhizome/core';

export interface Candidate<Value> {
  readonly delta: Delta;
  readonly value: Value;
}

/**
 * The candidates of a "pick one" plugin (last/first-write-wins, min, max) with the current best
 * cached: adding is O(1); removing a non-best candidate is O(1); removing the best rescans.
 */
export interface PickState<Value> {
  readonly candidates: Map<string, Candidate<Value>>;
  best: Candidate<Value> | undefined;
}

/** `isBetter(a, b)`: a beats b. Must be a strict total order (ties broken by delta). */
export type IsBetter<Value> = (a: Candidate<Value>, b: Candidate<Value>) => boolean;

export function createPickState<Value>(): PickState<Value> {
  return { candidates: new Map(), best: undefined };
}

export function addCandidate<Value>(
  state: PickState<Value>,
  candidate: Candidate<Value>,
  isBetter: IsBetter<Value>,
): PickState<Value> {
  state.candidates.set(candidate.delta.id, candidate);
  if (state.best === undefined || isBetter(candidate, state.best)) state.best = candidate;
  return state;
}

export function removeCandidate<Value>(
  state: PickState<Value>,
  delta: Delta,
  isBetter: IsBetter<Value>,
): PickState<Value> {
  if (!state.candidates.delete(delta.id) || state.best?.delta.id !== delta.id) return state;
  state.best = undefined;
  for (const candidate of state.candidates.values()) {
    if (state.best === undefined || isBetter(candidate, state.best)) state.best = candidate;
  }
  return state;
}

export const isLater: IsBetter<unknown> = (a, b) => compareDeltas(a.delta, b.delta) > 0;
export const isEarlier: IsBetter<unknown> = (a, b) => compareDeltas(a.delta, b.delta) < 0;
