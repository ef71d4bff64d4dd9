import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * Shared-secret authentication by challenge and response: each hello carries a fresh random
 * nonce, and each side proves it knows the secret it shares with the peer by an HMAC over the
 * peer's nonce and its own node id. The secret never crosses the wire, and a recorded proof is
 * worthless on any other connection.
 */
const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const encoder = new TextEncoder();

function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += DIGITS[(chunk >> (18 - 6 * c)) & 63]!;
  }
  return out;
}

/** A fresh challenge: 128 random bits. */
export function createNonce(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/** The proof that the node `prover` knows `secret`, answering the challenge `nonce`. */
export function computeAuthProof(secret: string, nonce: string, prover: string): string {
  return toBase64Url(hmac(sha256, encoder.encode(secret), encoder.encode(`rhizome-sync-v1\u0000${nonce}\u0000${prover}`)));
}

/** Compares two proofs in time independent of where they differ. */
export function isSameProof(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
