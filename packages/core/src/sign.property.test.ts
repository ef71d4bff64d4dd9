// Property tests of delta signatures. Seeded: RHIZOME_SEED=<n> replays a run (keys included,
// since they are drawn from the run's seed too).
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentArb } from '../test/arbitraries.ts';
import { assertProperty } from '@rhizome/vitest-config/seed';
import { createDelta } from './create.ts';
import { isRhizomeError } from './errors.ts';
import { parseDeltaJson } from './parse.ts';
import { signDelta, verifyDelta } from './sign.ts';
import { parseSignature } from './signature.ts';
import { derivePublicKey } from './signing-key.ts';
import type { Delta } from './types.ts';

const secretKeyArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);

// Curve arithmetic in pure JavaScript costs about a millisecond a signature: a hundred runs each.
const RUNS = 100;

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (isRhizomeError(error)) return error.code;
    throw error;
  }
}

describe('signatures (properties)', () => {
  it('any delta, signed with any key, verifies, also after a JSON round trip, and keeps its id', () => {
    assertProperty(
      fc.property(contentArb, secretKeyArb, (content, secretKey) => {
        const delta = createDelta(content);
        const signed = signDelta(delta, secretKey);
        expect(signed.id).toBe(delta.id);
        const publicKey = derivePublicKey(secretKey);
        expect(verifyDelta(signed, { publicKeys: () => [publicKey] }).publicKey).toBe(publicKey);
        expect(verifyDelta(parseDeltaJson(JSON.stringify(signed))).publicKey).toBe(publicKey);
      }),
      { numRuns: RUNS },
    );
  });

  it('any single-byte change to the 64 signature bytes makes it SIGNATURE_INVALID', () => {
    assertProperty(
      fc.property(
        contentArb,
        secretKeyArb,
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 1, max: 255 }),
        (content, secretKey, index, flip) => {
          const signed = signDelta(createDelta(content), secretKey);
          const parsed = parseSignature(signed.signature!)!;
          const bytes = Buffer.from(parsed.signature, 'hex');
          bytes[index] = bytes[index]! ^ flip;
          const mutated: Delta = {
            ...signed,
            signature: `ed25519:${parsed.publicKey}:${bytes.toString('hex')}`,
          };
          expect(codeOf(() => verifyDelta(mutated))).toBe('SIGNATURE_INVALID');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('any change to one character of the signature string makes it fail', () => {
    assertProperty(
      fc.property(
        contentArb,
        secretKeyArb,
        fc.nat(),
        fc.constantFrom(...'0123456789abcdefABCDEF:x'),
        (content, secretKey, at, replacement) => {
          const signed = signDelta(createDelta(content), secretKey);
          const text = signed.signature!;
          const index = at % text.length;
          fc.pre(text[index] !== replacement);
          const mutated: Delta = {
            ...signed,
            signature: text.slice(0, index) + replacement + text.slice(index + 1),
          };
          // A changed public key verifies against nothing, so it is SIGNATURE_INVALID too.
          expect(codeOf(() => verifyDelta(mutated))).toBe('SIGNATURE_INVALID');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
