import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sampleContent, sampleDelta } from '../test/fixtures.ts';
import { encodeCanonicalContent } from './canonical.ts';
import { DELTA_ID_LENGTH, computeDeltaId, hasValidId, isDeltaIdShape } from './id.ts';
import { sha256Base64Url as sha256Node } from './sha256-node.ts';
import { sha256Base64Url as sha256Portable } from './sha256-portable.ts';

describe('computeDeltaId', () => {
  it('is SHA-256 of the canonical content in base64url without padding', () => {
    const content = sampleContent();
    const expected = createHash('sha256').update(encodeCanonicalContent(content), 'utf8').digest('base64url');
    expect(computeDeltaId(content)).toBe(expected);
    expect(computeDeltaId(content)).toHaveLength(DELTA_ID_LENGTH);
    expect(computeDeltaId(content)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('matches the fixed vector of docs/delta-format.md (guards against format changes)', () => {
    const content = {
      timeCreated: 1_700_000_000_000,
      host: 'node-1',
      creator: 'alice',
      pointers: [
        { localContext: 'entity', target: { id: 'alice' }, targetContext: 'name' },
        { localContext: 'name', target: 'Alice' },
        { localContext: 'entity', target: { id: 'alice' }, targetContext: 'age' },
        { localContext: 'age', target: 31 },
      ],
    };
    expect(encodeCanonicalContent(content)).toBe(
      '{"creator":"alice","host":"node-1","pointers":[{"localContext":"entity","target":{"id":"alice"},"targetContext":"name"},' +
        '{"localContext":"name","target":"Alice"},{"localContext":"entity","target":{"id":"alice"},"targetContext":"age"},' +
        '{"localContext":"age","target":31}],"timeCreated":1700000000000}',
    );
    expect(computeDeltaId(content)).toBe('h2DZzZas9u6adODXifsAyq2wmg76NL5rX2B1DMWhYe0');
  });
});

describe('sha256 implementations', () => {
  it('agree: node:crypto and the portable @noble one', () => {
    const inputs = ['', 'abc', 'é😀', '\ud800', 'x'.repeat(1000), JSON.stringify(sampleDelta())];
    for (const input of inputs) {
      expect(sha256Portable(input)).toBe(sha256Node(input));
    }
    // The standard test vector for "abc".
    expect(sha256Node('abc')).toBe(Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString('base64url'));
  });
});

describe('isDeltaIdShape and hasValidId', () => {
  it('checks the shape only', () => {
    expect(isDeltaIdShape(sampleDelta().id)).toBe(true);
    expect(isDeltaIdShape('A'.repeat(43))).toBe(true);
    expect(isDeltaIdShape('A'.repeat(42))).toBe(false);
    expect(isDeltaIdShape('A'.repeat(42) + '=')).toBe(false);
    expect(isDeltaIdShape('A'.repeat(42) + '+')).toBe(false);
  });

  it('checks the id against the content', () => {
    expect(hasValidId(sampleDelta())).toBe(true);
    expect(hasValidId({ ...sampleDelta(), creator: 'mallory' })).toBe(false);
    expect(hasValidId({ ...sampleDelta(), signature: 'not hashed' })).toBe(true);
  });
});
