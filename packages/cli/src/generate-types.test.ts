import { describe, expect, it } from 'vitest';
import { generateTypes } from './generate-types.ts';

describe('generateTypes', () => {
  it('types each property by kind and resolver, expanding references with depth', () => {
    const text = generateTypes(
      [
        {
          name: 'person',
          properties: {
            name: { kind: 'string', resolver: 'lww' },
            age: { kind: 'number', resolver: 'max' },
            visits: { kind: 'number', resolver: 'count' },
            friends: { kind: 'reference', resolver: 'set', target: 'person', depth: 1 },
            home: { kind: 'reference', resolver: 'lww', target: 'place' },
            'e-mail': { kind: 'string', resolver: { kind: 'concat', separator: ',' } },
            extra: { kind: 'any', resolver: { custom: 'first' } },
          },
        },
        { name: 'place-v2', properties: {} },
      ],
      'http://node.test',
    );
    expect(text).toContain('export interface PersonView {');
    expect(text).toContain('  readonly age?: number;');
    expect(text).toContain('  readonly visits: number;');
    expect(text).toContain(
      "  readonly friends: ({ readonly id: string } & Partial<Omit<PersonView, 'id'>>)[];",
    );
    expect(text).toContain('  readonly home?: { readonly id: string };');
    expect(text).toContain('  readonly "e-mail"?: string;');
    expect(text).toContain('  readonly extra?: unknown;');
    expect(text).toContain('export interface PlaceV2View {');
    expect(text).toContain('  "place-v2": PlaceV2View;');
    expect(text).toContain('export const rhizomeSchemaNames = ["person","place-v2"] as const;');
  });
});
