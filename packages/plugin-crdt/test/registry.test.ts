import { createPluginRegistry } from '@rhizome/plugins';
import { describe, expect, it } from 'vitest';
import { counterChange, insertAfter } from './support/deltas.ts';

describe('@rhizome/plugin-crdt through the plugin registry', () => {
  it('is loaded by package name from configuration', async () => {
    // The app's own import(), so the name resolves from here (a package can import itself by name).
    const registry = createPluginRegistry({
      importModule: (specifier) => import(/* @vite-ignore */ specifier),
    });
    const resolver = await registry.createResolver({
      plugins: [
        {
          property: 'text',
          package: '@rhizome/plugin-crdt',
          plugin: 'sequence',
          options: { as: 'text' },
        },
        { property: 'n', package: '@rhizome/plugin-crdt', plugin: 'pn-counter' },
        {
          property: 'edits',
          package: '@rhizome/plugins',
          plugin: 'count',
          options: { reads: ['text', 'n'] },
        },
      ],
    });
    const h = insertAfter(1, 'ann', undefined, 'h', 'c');
    const i = insertAfter(2, 'ann', h.id, 'i', 'c');
    expect(resolver.resolve('c', [i, h, counterChange(3, 'bob', 2)])).toEqual({
      text: 'hi',
      n: 2,
      edits: 3,
    });
    expect(
      registry.packages().find((entry) => entry.name === '@rhizome/plugin-crdt')?.version,
    ).toBe('0.1.0');
  });
});
