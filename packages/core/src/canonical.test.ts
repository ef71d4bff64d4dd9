import { describe, expect, it } from 'vitest';
import { canonicalJson, encodeCanonicalContent } from './canonical.ts';
import type { DeltaContent } from './types.ts';

const content = (overrides: Partial<DeltaContent> = {}): DeltaContent => ({
  timeCreated: 1000,
  host: 'h',
  creator: 'c',
  pointers: [{ localContext: 'name', target: 'x' }],
  ...overrides,
});

describe('encodeCanonicalContent', () => {
  it('sorts keys and leaves out whitespace', () => {
    const input = {
      pointers: [{ targetContext: 'name', target: { id: 'e' }, localContext: 'entity' }],
      timeCreated: 5,
      creator: 'c',
      host: 'h',
    };
    expect(encodeCanonicalContent(input)).toBe(
      '{"creator":"c","host":"h","pointers":[{"localContext":"entity","target":{"id":"e"},"targetContext":"name"}],"timeCreated":5}',
    );
  });

  it('keeps the order of pointers (it is part of the content)', () => {
    const a = content({ pointers: [{ localContext: 'a', target: 1 }, { localContext: 'b', target: 2 }] });
    const b = content({ pointers: [{ localContext: 'b', target: 2 }, { localContext: 'a', target: 1 }] });
    expect(encodeCanonicalContent(a)).not.toBe(encodeCanonicalContent(b));
  });

  it('writes -0 as 0, in timeCreated and in targets', () => {
    const encoded = encodeCanonicalContent(content({ timeCreated: -0, pointers: [{ localContext: 'n', target: -0 }] }));
    expect(encoded).toBe('{"creator":"c","host":"h","pointers":[{"localContext":"n","target":0}],"timeCreated":0}');
  });

  it('writes 1.0 and 1 alike, and numbers in their shortest round-trip form', () => {
    const one = encodeCanonicalContent(content({ pointers: [{ localContext: 'n', target: 1.0 }] }));
    const parsed = encodeCanonicalContent(JSON.parse('{"timeCreated":1000,"host":"h","creator":"c","pointers":[{"localContext":"n","target":1.0}]}'));
    expect(one).toBe(parsed);
    expect(one).toContain('"target":1}');
    const numbers = [0.1, 1e21, 1e-7, -2.5, 123456789012345680000, Number.MAX_SAFE_INTEGER, 5e-324];
    for (const n of numbers) {
      const encoded = encodeCanonicalContent(content({ pointers: [{ localContext: 'n', target: n }] }));
      expect(encoded).toContain(`"target":${String(n)}}`);
      expect(JSON.parse(encoded).pointers[0].target).toBe(n);
    }
    expect(encodeCanonicalContent(JSON.parse('{"timeCreated":1e3,"host":"h","creator":"c","pointers":[{"localContext":"n","target":1E2}]}'))).toBe(
      '{"creator":"c","host":"h","pointers":[{"localContext":"n","target":100}],"timeCreated":1000}',
    );
  });

  it('writes booleans, null and references', () => {
    const encoded = encodeCanonicalContent(
      content({
        pointers: [
          { localContext: 't', target: true },
          { localContext: 'f', target: false },
          { localContext: 'z', target: null },
          { localContext: 'r', target: { id: 'e' } },
        ],
      }),
    );
    expect(encoded).toContain('{"localContext":"t","target":true},{"localContext":"f","target":false},{"localContext":"z","target":null},{"localContext":"r","target":{"id":"e"}}');
  });

  it('leaves unicode as is and escapes only what JSON requires', () => {
    const encoded = encodeCanonicalContent(
      content({ host: 'nœud-東京', pointers: [{ localContext: 'é', target: '😀 "quoted" \\ \n\t\u0001 \u2028' }] }),
    );
    expect(encoded).toContain('"host":"nœud-東京"');
    expect(encoded).toContain('"localContext":"é","target":"😀 \\"quoted\\" \\\\ \\n\\t\\u0001 \u2028"');
  });

  it('escapes lone surrogates so the encoding is well-formed UTF-8', () => {
    const encoded = encodeCanonicalContent(content({ pointers: [{ localContext: 's', target: '\ud800' }] }));
    expect(encoded).toContain('"target":"\\ud800"');
    expect(JSON.parse(encoded).pointers[0].target).toBe('\ud800');
  });

  it('does not normalise unicode (NFC and NFD spellings are different content)', () => {
    const nfc = encodeCanonicalContent(content({ creator: 'é' }));
    const nfd = encodeCanonicalContent(content({ creator: 'e\u0301' }));
    expect(nfc).not.toBe(nfd);
  });

  it('ignores fields outside the content (id, signature)', () => {
    const withExtras = { ...content(), id: 'x', signature: 'y' };
    expect(encodeCanonicalContent(withExtras)).toBe(encodeCanonicalContent(content()));
  });

  it('agrees with the general canonicalJson', () => {
    const value = content({
      pointers: [
        { localContext: 'entity', target: { id: 'e' }, targetContext: 'p' },
        { localContext: 'p', target: -0 },
        { localContext: 'q', target: 'ü' },
      ],
    });
    expect(encodeCanonicalContent(value)).toBe(canonicalJson(value));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('normalises numbers and writes primitives', () => {
    expect(canonicalJson([-0, 1.0, 'x', true, null])).toBe('[0,1,"x",true,null]');
  });

  it('sorts keys by UTF-16 code units', () => {
    expect(canonicalJson({ é: 1, z: 2, A: 3, '😀': 4 })).toBe('{"A":3,"z":2,"é":1,"😀":4}');
  });
});
