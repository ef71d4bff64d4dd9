import { ed25519 } from '@noble/curves/ed25519.js';

/**
 * Strict RFC 8032 Ed25519 verification (`@noble/curves`, `zip215: false`): the rules every node
 * applies (docs/delta-format.md, "Signatures"). A public key that is not a point on the curve
 * verifies nothing.
 */
export function verifyEd25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
