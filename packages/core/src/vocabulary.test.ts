import { describe, expect, it } from 'vitest';
import { isPrimitive, isReference, WIRE_FORMAT_VERSION } from './types.ts';
import { Vocabulary } from './vocabulary.ts';

describe('Vocabulary', () => {
  it('spells the reserved contexts exactly as docs/delta-format.md does', () => {
    expect(Vocabulary).toEqual({
      negates: 'negates',
      negatedBy: 'negated_by',
      transaction: '_transaction',
      transactionSize: 'size',
      transactionDeltas: 'deltas',
      entity: 'entity',
    });
    expect(WIRE_FORMAT_VERSION).toBe(1);
  });
});

describe('isReference and isPrimitive', () => {
  it('tell references from primitives', () => {
    expect(isReference({ id: 'e' })).toBe(true);
    for (const primitive of ['e', 0, false, null]) {
      expect(isReference(primitive)).toBe(false);
      expect(isPrimitive(primitive)).toBe(true);
    }
    expect(isPrimitive({ id: 'e' })).toBe(false);
  });
});
