import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { CoreErrorCode, RhizomeError } from './errors.ts';

/**
 * An Ed25519 key as 64 hex digits (32 bytes) or as the bytes themselves. Rhizome writes keys as
 * lowercase hex, the form that goes into a signature string and into configuration; it reads
 * either case.
 */
export type KeyInput = string | Uint8Array;

/** An Ed25519 key pair, both halves as lowercase hex (32 bytes each). */
export interface SigningKeyPair {
  /** The RFC 8032 secret key (the 32-byte seed). Keep it secret. */
  readonly secretKey: string;
  /** The public key, as it appears in signatures and in a verifier's key list. */
  readonly publicKey: string;
}

const KEY_BYTES = 32;
const KEY_HEX = /^[0-9a-fA-F]{64}$/;

/** A fresh random Ed25519 key pair (from the platform's secure random source). */
export function generateSigningKey(): SigningKeyPair {
  const { secretKey, publicKey } = ed25519.keygen();
  return { secretKey: bytesToHex(secretKey), publicKey: bytesToHex(publicKey) };
}

/** The public key (lowercase hex) that belongs to `secretKey`. Throws SIGNING_KEY_INVALID. */
export function derivePublicKey(secretKey: KeyInput): string {
  return bytesToHex(ed25519.getPublicKey(readSecretKey(secretKey)));
}

/** The 32 bytes of a secret key, or SIGNING_KEY_INVALID (whose message never shows the key). */
export function readSecretKey(secretKey: KeyInput): Uint8Array {
  const bytes = toKeyBytes(secretKey);
  if (bytes === undefined) {
    throw new RhizomeError(
      CoreErrorCode.SigningKeyInvalid,
      'a signing key must be 32 bytes, given as a Uint8Array or as 64 hex digits',
    );
  }
  return bytes;
}

/** A public key as lowercase hex, or undefined when it is not 32 bytes or 64 hex digits. */
export function normalizePublicKey(publicKey: KeyInput): string | undefined {
  if (typeof publicKey === 'string')
    return KEY_HEX.test(publicKey) ? publicKey.toLowerCase() : undefined;
  return publicKey.length === KEY_BYTES ? bytesToHex(publicKey) : undefined;
}

function toKeyBytes(key: KeyInput): Uint8Array | undefined {
  if (typeof key === 'string') return KEY_HEX.test(key) ? hexToBytes(key.toLowerCase()) : undefined;
  // A copy, so that the caller reusing their buffer cannot change a key held by a builder.
  return key instanceof Uint8Array && key.length === KEY_BYTES ? key.slice() : undefined;
}
