import { isRhizomeError } from '@rhizome/core';
import { describe, expect, it } from 'vitest';
import { createCustomResolver } from './custom-resolver.ts';
import { PluginErrorCode } from './errors.ts';
import { lastWriteWins } from './builtins/last-write-wins.ts';
import type { DependencySpec, ResolverPlugin } from './types.ts';

const plugin = (property: string, dependsOn: DependencySpec[] = []): ResolverPlugin =>
  lastWriteWins({ property, dependsOn });

function thrown(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('dependency order', () => {
  it('runs a chain after its dependencies whatever the declared order', () => {
    const resolver = createCustomResolver([plugin('c', ['b']), plugin('b', ['a']), plugin('a')]);
    expect(resolver.order).toEqual(['a', 'b', 'c']);
  });

  it('runs a diamond with the shared dependency first and the join last', () => {
    const resolver = createCustomResolver([
      plugin('d', ['b', 'c']),
      plugin('c', ['a']),
      plugin('b', ['a']),
      plugin('a'),
    ]);
    const order = resolver.order;
    expect(order[0]).toBe('a');
    expect(order[3]).toBe('d');
    expect(new Set(order.slice(1, 3))).toEqual(new Set(['b', 'c']));
  });

  it('keeps the declared order of independent plugins', () => {
    expect(createCustomResolver([plugin('z'), plugin('y'), plugin('x')]).order).toEqual([
      'z',
      'y',
      'x',
    ]);
  });
});

describe('construction-time errors', () => {
  it.each([
    ['1', [plugin('a', ['a'])], ['a', 'a']],
    ['2', [plugin('a', ['b']), plugin('b', ['a'])], ['a', 'b', 'a']],
    ['3', [plugin('a', ['b']), plugin('b', ['c']), plugin('c', ['a'])], ['a', 'b', 'c', 'a']],
  ])('names the path of a cycle of %s', (_size, plugins, cycle) => {
    const error = thrown(() => createCustomResolver(plugins));
    expect(isRhizomeError(error, PluginErrorCode.DependencyCycle)).toBe(true);
    expect((error as { details: { cycle: string[] } }).details.cycle).toEqual(cycle);
    expect((error as Error).message).toContain(cycle.join(' → '));
  });

  it('finds a cycle that hangs off an acyclic part', () => {
    const error = thrown(() =>
      createCustomResolver([plugin('root', ['x']), plugin('x', ['y']), plugin('y', ['x'])]),
    );
    expect((error as { details: { cycle: string[] } }).details.cycle).toEqual(['x', 'y', 'x']);
  });

  it('names the plugin and the dependency when a dependency is missing', () => {
    const error = thrown(() => createCustomResolver([plugin('total', ['price'])]));
    expect(isRhizomeError(error, PluginErrorCode.MissingDependency)).toBe(true);
    expect((error as Error).message).toMatch(/"total".*"price"/);
    expect((error as { details: unknown }).details).toMatchObject({
      plugin: 'total',
      dependency: 'price',
    });
  });

  it('allows a missing optional dependency and injects undefined', () => {
    const seen: unknown[] = [];
    const probe: ResolverPlugin<null, string> = {
      name: 'probe',
      version: '1.0.0',
      property: 'probe',
      reads: [],
      dependsOn: [{ plugin: 'absent', optional: true }],
      initialize: () => null,
      update: (state) => state,
      resolve: (_state, deps) => {
        seen.push(deps);
        return 'ok';
      },
    };
    const resolver = createCustomResolver([probe]);
    expect(resolver.resolve('e', [])).toEqual({ probe: 'ok' });
    expect(seen).toEqual([{ absent: undefined }]);
  });

  it('rejects two plugins claiming one output property', () => {
    const error = thrown(() =>
      createCustomResolver([plugin('name'), plugin('other'), plugin('name')]),
    );
    expect(isRhizomeError(error, PluginErrorCode.DuplicateProperty)).toBe(true);
    expect((error as Error).message).toContain('"name"');
  });

  it('rejects an object that is not a plugin', () => {
    const error = thrown(() =>
      createCustomResolver([{ name: 'x', property: 'x' } as unknown as ResolverPlugin]),
    );
    expect(isRhizomeError(error, PluginErrorCode.InvalidPlugin)).toBe(true);
    expect((error as Error).message).toMatch(/version.*initialize/s);
  });
});
