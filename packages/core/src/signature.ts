import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** The one signature algorithm of wire format version 1, and the prefix of every signature. */
export const SIGNATURE_ALGORITHM = 'ed25519';

/**
 * The parts of a delta's `signature` string: `ed25519:<public key>:<signature>`, the 32-byte
 * public key and the 64-byte Ed25519 signature in lowercase hex (201 characters in all).
 */
export interface DeltaSignature {
  readonly algorithm: typeof SIGNATURE_ALGORITHM;
  /** The signer's public key, 64 lowercase hex digits. */
  readonly publicKey: string;
  /** The Ed25519 signature, 128 lowercase hex digits. */
  readonly signature: string;
}

// Lowercase only: one signature has exactly one spelling, so two copies of a signed delta that
// differ only in the case of their hex are never both around.
const SIGNATURE_PATTERN = /^ed25519:([0-9a-f]{64}):([0-9a-f]{128})$/;

/** Length of every signature string this version writes. */
export const SIGNATURE_LENGTH = SIGNATURE_ALGORITHM.length + 1 + 64 + 1 + 128;

/** Reads a `signature` string, or undefined when it is not in the ed25519 form above. */
export function parseSignature(text: string): DeltaSignature | undefined {
  const match = SIGNATURE_PATTERN.exec(text);
  if (match === null) return undefined;
  return { algorithm: SIGNATURE_ALGORITHM, publicKey: match[1]!, signature: match[2]! };
}

/** Writes the `signature` string for a public key and signature bytes. */
export function formatSignature(publicKey: string, signature: Uint8Array): string {
  return `${SIGNATURE_ALGORITHM}:${publicKey}:${bytesToHex(signature)}`;
}

/** The bytes of a parsed signature: public key and signature. */
export function signatureBytes(parsed: DeltaSignature): {
  publicKey: Uint8Array;
  signature: Uint8Array;
} {
  return { publicKey: hexToBytes(parsed.publicKey), signature: hexToBytes(parsed.signature) };
}
