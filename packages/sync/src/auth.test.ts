import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeAuthProof, createNonce, isSameProof } from './auth.ts';

describe('shared-secret proofs', () => {
  it('are HMAC-SHA256 in base64url, bound to the nonce and the prover', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (secret, nonce, prover) => {
        const expected = createHmac('sha256', secret).update(`rhizome-sync-v1\u0000${nonce}\u0000${prover}`).digest('base64url');
        expect(computeAuthProof(secret, nonce, prover)).toBe(expected);
      }),
    );
    expect(computeAuthProof('s', 'n1', 'a')).not.toBe(computeAuthProof('s', 'n2', 'a'));
    expect(computeAuthProof('s', 'n1', 'a')).not.toBe(computeAuthProof('s', 'n1', 'b'));
  });

  it('uses fresh 128-bit nonces and compares proofs exactly', () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    expect(nonces.size).toBe(100);
    expect([...nonces].every((nonce) => /^[A-Za-z0-9_-]{22}$/.test(nonce))).toBe(true);
    expect(isSameProof('abc', 'abc')).toBe(true);
    expect(isSameProof('abc', 'abd')).toBe(false);
    expect(isSameProof('abc', 'ab')).toBe(false);
  });
});
