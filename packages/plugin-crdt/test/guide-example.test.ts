// The plugin written in docs/plugins.md, kept here so the guide's code stays correct.
import type { PluginOptions, ResolverPlugin } from '@rhizome/plugins';
import { createCustomResolver } from '@rhizome/plugins';
import { describe, expect, it } from 'vitest';
import {
  builder,
  createReplica,
  negate,
  permutations,
  resolveFromScratch,
} from './support/deltas.ts';

function tally(
  options: PluginOptions,
): ResolverPlugin<Map<string, number>, Record<string, number>> {
  return {
    name: 'my-plugins/tally',
    version: '1.0.0',
    property: options.property,
    reads: options.reads ?? [options.property],
    dependsOn: options.dependsOn ?? [],
    usesDependenciesInUpdate: false,
    initialize: () => new Map(),
    update(state, value) {
      if (typeof value === 'string') state.set(value, (state.get(value) ?? 0) + 1);
      return state;
    },
    remove(state, value) {
      if (typeof value !== 'string') return state;
      const left = (state.get(value) ?? 1) - 1;
      if (left === 0) state.delete(value);
      else state.set(value, left);
      return state;
    },
    resolve: (state) => Object.fromEntries([...state].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

describe('the guide example (docs/plugins.md)', () => {
  const vote = (time: number, creator: string, choice: string) =>
    builder(time, creator).set('poll', { vote: choice }).build();

  it('tallies votes and follows negations in every delivery order', () => {
    const resolver = createCustomResolver([tally({ property: 'vote' })]);
    const yes = vote(1, 'ann', 'yes');
    const deltas = [yes, vote(2, 'bob', 'yes'), vote(3, 'cy', 'no'), negate(4, yes)];
    expect(resolveFromScratch(resolver, 'poll', deltas.slice(0, 3))).toEqual({
      vote: { no: 1, yes: 2 },
    });
    for (const order of permutations(deltas)) {
      const replica = createReplica(resolver, 'poll');
      for (const delta of order) replica.receive(delta);
      expect(replica.view()).toEqual({ vote: { no: 1, yes: 1 } });
    }
  });
});
