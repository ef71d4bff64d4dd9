// The Node fast path (OpenSSL, then noble) must give exactly noble's strict answers, valid or
// not, including at the edges where Ed25519 implementations disagree.
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyEd25519 as verifyNode } from './ed25519-verify-node.ts';
import { verifyEd25519 as verifyPortable } from './ed25519-verify-portable.ts';

const L = ed25519.Point.Fn.ORDER;
const P = 2n ** 255n - 19n;
const toLE = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const fromLE = (bytes: Uint8Array): bigint => {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
};
const same = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => {
  const expected = verifyPortable(signature, message, publicKey);
  expect(verifyNode(signature, message, publicKey)).toBe(expected);
  return expected;
};

/** A signature whose R carries a small-order component: the cofactored equation holds, the cofactorless one does not. */
function mixedOrderSignature(secret: Uint8Array, message: Uint8Array, torsion: string) {
  const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(secret);
  const r = (fromLE(sha512(concatBytes(secret, message))) % (L - 1n)) + 1n;
  const R = ed25519.Point.BASE.multiply(r).add(ed25519.Point.fromHex(torsion));
  const Rb = R.toBytes();
  const k = fromLE(sha512(concatBytes(Rb, A, message))) % L;
  const S = (r + k * a) % L;
  return { signature: concatBytes(Rb, toLE(S)), publicKey: A };
}

const openssl = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) =>
  opensslVerify(
    null,
    message,
    createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    }),
    signature,
  );

// A point of order 8 and the identity (order 1), canonical encodings.
const ORDER_8 = 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a';
const IDENTITY = '01' + '00'.repeat(31);

describe('Ed25519 verification: Node fast path = noble strict', () => {
  it('agrees on random valid and corrupted signatures', () => {
    assertProperty(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(64 * 8 - 1),
        (secret, message, bit) => {
          const publicKey = ed25519.getPublicKey(secret);
          const signature = ed25519.sign(message, secret);
          expect(same(signature, message, publicKey)).toBe(true);
          const flipped = signature.slice();
          flipped[bit >> 3]! ^= 1 << (bit & 7);
          expect(same(flipped, message, publicKey)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('agrees at the edges: S ≥ L, small-order and non-canonical keys, mixed-order R', () => {
    const secret = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const message = new TextEncoder().encode('edge');
    const publicKey = ed25519.getPublicKey(secret);
    const signature = ed25519.sign(message, secret);
    expect(same(signature, message, publicKey)).toBe(true);

    // S + L: the same equation mod L, refused by the strict rules.
    const malleated = concatBytes(
      signature.subarray(0, 32),
      toLE(fromLE(signature.subarray(32)) + L),
    );
    expect(same(malleated, message, publicKey)).toBe(false);

    // The identity as public key with R = identity, S = 0: holds for every message; strict refuses it.
    const zero = concatBytes(hexToBytes(IDENTITY), new Uint8Array(32));
    expect(same(zero, message, hexToBytes(IDENTITY))).toBe(false);
    expect(same(zero, message, hexToBytes(ORDER_8))).toBe(false);

    // A non-canonical key encoding (y = p + 1, the identity's y plus p) and a negative zero x.
    const nonCanonical = toLE(P + 1n);
    expect(same(zero, message, nonCanonical)).toBe(false);
    const negativeZero = hexToBytes(IDENTITY);
    negativeZero[31]! |= 0x80;
    expect(same(zero, message, negativeZero)).toBe(false);

    // A small-order component in R: noble (cofactored) accepts it, OpenSSL (cofactorless) does not,
    // and the fast path falls back to noble, so the node accepts exactly what noble accepts.
    const mixed = mixedOrderSignature(secret, message, ORDER_8);
    expect(openssl(mixed.signature, message, mixed.publicKey)).toBe(false); // the edge is real
    expect(openssl(signature, message, publicKey)).toBe(true);
    expect(same(mixed.signature, message, mixed.publicKey)).toBe(true);

    // A mixed-order public key (a key plus a point of order 8) with an honest signature under it.
    const A = ed25519.Point.fromHex(bytesToHex(publicKey)).add(ed25519.Point.fromHex(ORDER_8));
    expect(same(signature, message, A.toBytes())).toBe(false);
  });
});
