import { sha256Base64Url } from '#sha256';
import { encodeCanonicalContent } from './canonical.ts';
import type { Delta, DeltaContent, DeltaId } from './types.ts';

/** Length of every delta id: 32 bytes of SHA-256 in unpadded base64url. */
export const DELTA_ID_LENGTH = 43;

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The content id of a delta: SHA-256 over its canonical content, base64url without padding. */
export function computeDeltaId(content: DeltaContent): DeltaId {
  return sha256Base64Url(encodeCanonicalContent(content));
}

/** True when `id` has the shape of a delta id (it says nothing about which delta). */
export function isDeltaIdShape(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** True when the delta's id matches its content. */
export function hasValidId(delta: Delta): boolean {
  return delta.id === computeDeltaId(delta);
}
