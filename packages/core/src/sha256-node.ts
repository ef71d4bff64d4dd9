import { createHash } from 'node:crypto';

/** SHA-256 of a UTF-8 string, as base64url without padding. Node's native implementation. */
export function sha256Base64Url(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}
