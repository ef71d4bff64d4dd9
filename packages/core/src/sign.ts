import { ed25519 } from '@noble/curves/ed25519.js';
import { verifyEd25519 } from '#ed25519-verify';
import { encodeCanonicalContent } from './canonical.ts';
import { CoreErrorCode, RhizomeError } from './errors.ts';
import { freezeVerifiedDelta, parseDelta } from './parse.ts';
import { formatSignature, parseSignature, signatureBytes } from './signature.ts';
import {
  derivePublicKey,
  normalizePublicKey,
  readSecretKey,
  type KeyInput,
} from './signing-key.ts';
import type { Delta, DeltaContent } from './types.ts';

const encoder = new TextEncoder();

/**
 * The bytes a signature covers: the UTF-8 canonical encoding of the delta's content, exactly the
 * bytes its id hashes. `id` and `signature` are not among them, so signing leaves the id alone.
 */
export function encodeSignedContent(content: DeltaContent): Uint8Array {
  return encoder.encode(encodeCanonicalContent(content));
}

/** Signs deltas with one secret key; the public key is derived once, not per delta. */
export type DeltaSigner = (delta: Delta) => Delta;

/**
 * A signer for `secretKey` (throws SIGNING_KEY_INVALID). Each call validates the delta (checking
 * its id unless this package made it) and returns a frozen copy with `signature` set to
 * `ed25519:<public key>:<signature>`, replacing any signature it had. The id does not change.
 */
export function createDeltaSigner(secretKey: KeyInput): DeltaSigner {
  const secret = readSecretKey(secretKey);
  const publicKey = derivePublicKey(secret);
  return (delta) => {
    const valid = parseDelta(delta);
    const signature = formatSignature(publicKey, ed25519.sign(encodeSignedContent(valid), secret));
    return freezeVerifiedDelta({ ...valid, signature });
  };
}

/** Signs one delta (see createDeltaSigner, the cheaper choice for many deltas). */
export function signDelta(delta: Delta, secretKey: KeyInput): Delta {
  return createDeltaSigner(secretKey)(delta);
}

export interface VerifyDeltaOptions {
  /**
   * The public keys allowed to sign for a creator. When given, a signature by any other key
   * throws KEY_UNKNOWN, before any curve arithmetic. Without it, verifyDelta only proves that the
   * key named in the signature signed this content, and anyone can sign with a key of their own.
   */
  readonly publicKeys?: (creator: string) => Iterable<KeyInput> | undefined;
}

/** A signature that verified: who signed. */
export interface VerifiedSignature {
  /** The signer's public key, lowercase hex. */
  readonly publicKey: string;
}

/**
 * Checks a delta's signature against its content. Throws a RhizomeError with path `['signature']`:
 * SIGNATURE_MISSING when there is none, SIGNATURE_INVALID when it is not an `ed25519:` signature
 * string (details.reason `malformed`) or does not verify (`mismatch`), KEY_UNKNOWN when
 * `options.publicKeys` does not list its key for the delta's creator. Verification is strict
 * RFC 8032 (non-canonical encodings are rejected), so a valid signature has one spelling. It
 * does not check the id: parse the delta first (parseDelta does).
 */
export function verifyDelta(delta: Delta, options: VerifyDeltaOptions = {}): VerifiedSignature {
  const text = delta.signature;
  if (text === undefined) {
    throw new RhizomeError(CoreErrorCode.SignatureMissing, `delta ${delta.id} is not signed`, {
      path: ['signature'],
      details: { id: delta.id },
    });
  }
  const parsed = parseSignature(text);
  if (parsed === undefined) {
    throw invalid(
      delta,
      'malformed',
      `signature of delta ${delta.id} is not ed25519:<64 hex>:<128 hex>`,
    );
  }
  if (
    options.publicKeys !== undefined &&
    !isListed(parsed.publicKey, options.publicKeys(delta.creator))
  ) {
    throw new RhizomeError(
      CoreErrorCode.KeyUnknown,
      `delta ${delta.id} is signed by key ${parsed.publicKey}, which is not a key of creator "${delta.creator}"`,
      {
        path: ['signature'],
        details: { id: delta.id, creator: delta.creator, publicKey: parsed.publicKey },
      },
    );
  }
  const { publicKey, signature } = signatureBytes(parsed);
  // Strict RFC 8032 everywhere; on Node with a native fast path that gives the same answers.
  if (!verifyEd25519(signature, encodeSignedContent(delta), publicKey))
    throw invalid(delta, 'mismatch', `signature of delta ${delta.id} does not match its content`);
  return { publicKey: parsed.publicKey };
}

function isListed(publicKey: string, keys: Iterable<KeyInput> | undefined): boolean {
  if (keys === undefined) return false;
  for (const key of keys) {
    if (normalizePublicKey(key) === publicKey) return true;
  }
  return false;
}

function invalid(delta: Delta, reason: 'malformed' | 'mismatch', message: string): RhizomeError {
  return new RhizomeError(CoreErrorCode.SignatureInvalid, message, {
    path: ['signature'],
    details: { id: delta.id, reason },
  });
}
