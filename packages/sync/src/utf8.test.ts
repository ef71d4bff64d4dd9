import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countUtf8Bytes } from './utf8.ts';

describe('countUtf8Bytes', () => {
  it('counts what TextEncoder writes, lone surrogates included, for short and long strings', () => {
    const encoder = new TextEncoder();
    const units = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 600 }).map((codes) => String.fromCharCode(...codes));
    assertProperty(
      fc.property(units, (text) => {
        expect(countUtf8Bytes(text)).toBe(encoder.encode(text).length);
      }),
    );
    expect(countUtf8Bytes('é😀'.repeat(200))).toBe(encoder.encode('é😀'.repeat(200)).length);
  });
});
