import {
  average,
  concatenation,
  count,
  createCustomResolver,
  firstWriteWins,
  lastWriteWins,
  majority,
  max,
  min,
  type ResolverPlugin,
} from '../../src/index.ts';

/** Discount computed while updating from the injected price: the case that needs rebuilds. */
const discount: ResolverPlugin<number[], number | undefined> = {
  name: 'test/discount',
  version: '1.0.0',
  property: 'discount',
  dependsOn: ['price'],
  initialize: () => [],
  update(state, value, _delta, deps) {
    const price = deps['price'];
    if (typeof value === 'number' && typeof price === 'number') state.push((price * value) / 100);
    return state;
  },
  resolve: (state) => (state.length === 0 ? undefined : Math.max(...state)),
};

const total: ResolverPlugin<null, number | undefined> = {
  name: 'test/total',
  version: '1.0.0',
  property: 'total',
  reads: [],
  dependsOn: [
    'price',
    { plugin: 'discount' },
    { plugin: 'bonus', optional: true },
    { property: 'fee' },
  ],
  initialize: () => null,
  update: (state) => state,
  resolve: (_state, deps) =>
    typeof deps['price'] === 'number'
      ? deps['price'] -
        ((deps['discount'] as number | undefined) ?? 0) +
        ((deps['fee'] as number | undefined) ?? 0)
      : undefined,
};

/** Ten plugins with dependencies: the schema of the property tests and the benchmark. */
export const createTenPluginResolver = () =>
  createCustomResolver([
    total,
    discount,
    lastWriteWins({ property: 'price', reads: ['price'] }),
    firstWriteWins({ property: 'firstName', reads: ['name'] }),
    concatenation({ property: 'name' }),
    majority({ property: 'color' }),
    min({ property: 'low', reads: ['score'] }),
    max({ property: 'high', reads: ['score'], tracking: 'name' }),
    average({ property: 'mean', reads: ['score'] }),
    count({ property: 'scores', reads: ['score'] }),
  ]);
