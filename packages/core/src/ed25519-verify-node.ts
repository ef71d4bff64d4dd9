import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { verifyEd25519 as verifyStrict } from './ed25519-verify-portable.ts';

/**
 * Ed25519 verification on Node: OpenSSL (`crypto.verify`, ~10× faster than noble) as a fast path
 * that only ever *accepts*, with noble's strict verification deciding everything else. So the
 * answer is exactly noble's (ed25519-verify.test.ts checks the edges):
 *
 * - OpenSSL accepts when `encode([S]B - [k]A) === R` (the cofactorless equation), with
 *   `k = SHA-512(R || A || M)`. Then R is a canonical encoding (it equals one OpenSSL computed)
 *   and `R + [k]A - [S]B` is the identity, so noble's cofactored equation holds too.
 * - The rules noble adds on top are checked here before OpenSSL is asked: A decodes strictly
 *   (canonical y, no negative zero) and is not of small order (both once per key), and S < L.
 * - Whatever OpenSSL rejects (a bad signature, or an unusual one with a small-order component that
 *   the cofactored equation accepts and the cofactorless one does not) goes to noble.
 */
export function verifyEd25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature.length === 64 && isScalarCanonical(signature)) {
    const key = nativeKey(publicKey);
    if (key !== undefined && verify(null, message, key, signature)) return true;
  }
  return verifyStrict(signature, message, publicKey);
}

// Keys that passed noble's checks, as OpenSSL key objects; null for keys that did not. Bounded:
// a node sees few keys, and a flood of fresh ones only costs rebuilding entries.
const MAX_KEYS = 10_000;
const keys = new Map<string, KeyObject | null>();

function nativeKey(publicKey: Uint8Array): KeyObject | undefined {
  if (publicKey.length !== 32) return undefined;
  const hex = bytesToHex(publicKey);
  let key = keys.get(hex);
  if (key === undefined) {
    key = null;
    try {
      if (!ed25519.Point.fromHex(hex, false).isSmallOrder()) {
        key = createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
          format: 'jwk',
        });
      }
    } catch {
      key = null;
    }
    if (keys.size >= MAX_KEYS) keys.clear();
    keys.set(hex, key);
  }
  return key ?? undefined;
}

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/** S (the signature's second half, little-endian) < L. */
function isScalarCanonical(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    const l = L[i]!;
    if (s !== l) return s < l;
  }
  return false; // S === L
}
