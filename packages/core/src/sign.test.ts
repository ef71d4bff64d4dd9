import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sampleContent, sampleDelta } from '../test/fixtures.ts';
import { createDeltaBuilder } from './builder.ts';
import { encodeCanonicalContent } from './canonical.ts';
import { createDelta } from './create.ts';
import { isRhizomeError } from './errors.ts';
import { computeDeltaId } from './id.ts';
import { parseDelta, parseDeltaJson, parseDeltaWithJson } from './parse.ts';
import {
  createDeltaSigner,
  encodeSignedContent,
  signDelta,
  verifyDelta,
  type VerifyDeltaOptions,
} from './sign.ts';
import { SIGNATURE_LENGTH, parseSignature } from './signature.ts';
import { derivePublicKey, generateSigningKey } from './signing-key.ts';
import type { Delta, DeltaContent } from './types.ts';

// RFC 8032 §7.1, test 1: a published key pair, so the pinned vector below can be checked anywhere.
const RFC_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const SAMPLE_SIGNATURE =
  'ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a:' +
  'd858993577d4eef44c73f1d5e3219d6dcc96e3f191fabcdd04a72ae8827b3bb8' +
  'cfeec12ea42eb2778d51e218666b4399034eca9072c7cf83b60c2c9704f5bc0f';

/** The code (and details) of what `run` throws; fails the test when it throws nothing. */
function caught(run: () => unknown): { code: string; path: unknown; details: unknown } {
  try {
    run();
  } catch (error) {
    if (!isRhizomeError(error)) throw error;
    return { code: error.code, path: error.path, details: error.details };
  }
  throw new Error('expected a RhizomeError');
}

/** A delta with other content but the signature of `signed`: what a forger would send. */
function withContent(signed: Delta, content: DeltaContent): Delta {
  return { ...createDelta(content), signature: signed.signature! };
}

describe('signDelta and verifyDelta', () => {
  it('round-trips: a signed delta verifies and names its key; the id does not change', () => {
    const key = generateSigningKey();
    const delta = sampleDelta();
    const signed = signDelta(delta, key.secretKey);
    expect(signed.id).toBe(delta.id);
    expect(computeDeltaId(signed)).toBe(delta.id);
    expect(signed.signature).toHaveLength(SIGNATURE_LENGTH);
    expect(parseSignature(signed.signature!)?.publicKey).toBe(key.publicKey);
    expect(verifyDelta(signed)).toEqual({ publicKey: key.publicKey });
    expect(Object.isFrozen(signed)).toBe(true);
    expect(delta.signature).toBeUndefined();
  });

  it('writes the pinned vector for the RFC 8032 test key, which node:crypto verifies over the canonical bytes', () => {
    expect(derivePublicKey(RFC_SECRET)).toBe(RFC_PUBLIC);
    const signed = signDelta(sampleDelta(), RFC_SECRET);
    expect(signed.signature).toBe(SAMPLE_SIGNATURE);
    // An independent Ed25519 (OpenSSL) over exactly the bytes the id hashes.
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(RFC_PUBLIC, 'hex').toString('base64url') },
      format: 'jwk',
    });
    const sig = Buffer.from(parseSignature(SAMPLE_SIGNATURE)!.signature, 'hex');
    const content = Buffer.from(encodeCanonicalContent(signed), 'utf8');
    expect(Buffer.from(encodeSignedContent(signed)).equals(content)).toBe(true);
    expect(nodeVerify(null, content, publicKey, sig)).toBe(true);
  });

  it('signs the example of docs/delta-format.md as the document says', () => {
    const example = createDelta({
      timeCreated: 1_700_000_000_000,
      host: 'node-1',
      creator: 'alice',
      pointers: [
        { localContext: 'entity', target: { id: 'alice' }, targetContext: 'name' },
        { localContext: 'name', target: 'Alice' },
        { localContext: 'entity', target: { id: 'alice' }, targetContext: 'age' },
        { localContext: 'age', target: 31 },
      ],
    });
    const signed = signDelta(example, RFC_SECRET);
    expect(signed.id).toBe('h2DZzZas9u6adODXifsAyq2wmg76NL5rX2B1DMWhYe0');
    expect(signed.signature).toBe(
      `ed25519:${RFC_PUBLIC}:` +
        'f550f59cfed0fe497fa76ce64be04639be4ae8620b08f644ece3f951ab422103' +
        'f5340e4291403352617b92b8f75abdda6ce9039e2f07f4b0d45e76e822090d01',
    );
  });

  it('takes keys as hex in either case or as bytes, and signs alike (Ed25519 is deterministic)', () => {
    const bytes = Buffer.from(RFC_SECRET, 'hex');
    expect(signDelta(sampleDelta(), RFC_SECRET.toUpperCase()).signature).toBe(SAMPLE_SIGNATURE);
    expect(signDelta(sampleDelta(), new Uint8Array(bytes)).signature).toBe(SAMPLE_SIGNATURE);
    expect(createDeltaSigner(RFC_SECRET)(sampleDelta()).signature).toBe(SAMPLE_SIGNATURE);
  });

  it('replaces an earlier signature, and two signers of one delta keep one id', () => {
    const a = generateSigningKey();
    const b = generateSigningKey();
    const byA = signDelta(sampleDelta(), a.secretKey);
    const byB = signDelta(byA, b.secretKey);
    expect(byB.id).toBe(byA.id);
    expect(verifyDelta(byB).publicKey).toBe(b.publicKey);
    expect(verifyDelta(byA).publicKey).toBe(a.publicKey);
  });

  it('refuses a bad secret key with SIGNING_KEY_INVALID, without showing it', () => {
    for (const key of [
      '',
      'abc',
      RFC_SECRET.slice(1),
      RFC_SECRET + '00',
      'zz' + RFC_SECRET.slice(2),
      new Uint8Array(31),
    ]) {
      expect(caught(() => signDelta(sampleDelta(), key)).code).toBe('SIGNING_KEY_INVALID');
    }
    try {
      signDelta(sampleDelta(), RFC_SECRET.slice(1));
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(RFC_SECRET.slice(1, 20));
    }
  });

  it('does not sign a delta whose id does not match its content', () => {
    const wrong = { ...sampleDelta(), id: createDelta({ ...sampleContent(), host: 'other' }).id };
    expect(caught(() => signDelta(wrong, RFC_SECRET)).code).toBe('DELTA_ID_MISMATCH');
  });
});

describe('verifyDelta errors', () => {
  const signed = signDelta(sampleDelta(), RFC_SECRET);
  const content = sampleContent();

  it.each<[string, DeltaContent]>([
    [
      'a pointer target',
      { ...content, pointers: [content.pointers[0]!, { localContext: 'name', target: 'Mallory' }] },
    ],
    [
      'a reference',
      {
        ...content,
        pointers: [{ ...content.pointers[0]!, target: { id: 'bob' } }, content.pointers[1]!],
      },
    ],
    ['the pointer order', { ...content, pointers: [content.pointers[1]!, content.pointers[0]!] }],
    ['a dropped pointer', { ...content, pointers: [content.pointers[0]!] }],
    ['timeCreated', { ...content, timeCreated: content.timeCreated + 1 }],
    ['creator', { ...content, creator: 'mallory' }],
    ['host', { ...content, host: 'host-2' }],
  ])('SIGNATURE_INVALID when %s changes', (_name, changed) => {
    const forged = withContent(signed, changed);
    // The forgery is a well-formed delta with a correct id: only the signature gives it away.
    expect(parseDelta(forged).id).toBe(computeDeltaId(changed));
    expect(caught(() => verifyDelta(forged))).toEqual({
      code: 'SIGNATURE_INVALID',
      path: ['signature'],
      details: { id: forged.id, reason: 'mismatch' },
    });
  });

  it('SIGNATURE_MISSING for an unsigned delta', () => {
    expect(caught(() => verifyDelta(sampleDelta()))).toEqual({
      code: 'SIGNATURE_MISSING',
      path: ['signature'],
      details: { id: sampleDelta().id },
    });
  });

  it.each([
    ['a placeholder', 'sig-v0'],
    ['empty', ''],
    ['another algorithm', SAMPLE_SIGNATURE.replace('ed25519:', 'ed448:')],
    ['uppercase hex', SAMPLE_SIGNATURE.toUpperCase().replace('ED25519', 'ed25519')],
    ['a short signature', SAMPLE_SIGNATURE.slice(0, -2)],
    ['a missing key', 'ed25519:' + SAMPLE_SIGNATURE.slice(8 + 65)],
    ['a trailing newline', SAMPLE_SIGNATURE + '\n'],
  ])('SIGNATURE_INVALID (malformed) for %s', (_name, signature) => {
    const details = caught(() => verifyDelta({ ...signed, signature })).details;
    expect(details).toEqual({ id: signed.id, reason: 'malformed' });
  });

  it('SIGNATURE_INVALID when the signature names another key, or a key that is no curve point', () => {
    const other = generateSigningKey();
    const swapped = SAMPLE_SIGNATURE.replace(RFC_PUBLIC, other.publicKey);
    expect(caught(() => verifyDelta({ ...signed, signature: swapped })).code).toBe(
      'SIGNATURE_INVALID',
    );
    // y = 2 is not the y-coordinate of any point on edwards25519.
    const offCurve = SAMPLE_SIGNATURE.replace(RFC_PUBLIC, '02' + '00'.repeat(31));
    expect(caught(() => verifyDelta({ ...signed, signature: offCurve })).details).toEqual({
      id: signed.id,
      reason: 'mismatch',
    });
  });

  it('rejects S + L (the same scalar, spelt otherwise): one signature has one spelling', () => {
    const parsed = parseSignature(SAMPLE_SIGNATURE)!;
    const sBytes = Buffer.from(parsed.signature.slice(64), 'hex');
    const s = BigInt('0x' + Buffer.from(sBytes).reverse().toString('hex'));
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const bumped = Buffer.from((s + L).toString(16).padStart(64, '0'), 'hex')
      .reverse()
      .toString('hex');
    const malleated = `ed25519:${RFC_PUBLIC}:${parsed.signature.slice(0, 64)}${bumped}`;
    expect(caught(() => verifyDelta({ ...signed, signature: malleated })).code).toBe(
      'SIGNATURE_INVALID',
    );
  });
});

describe('verifyDelta with a key lookup', () => {
  const signed = signDelta(sampleDelta(), RFC_SECRET);

  it('accepts a key listed for the creator, in any form', () => {
    const asked: string[] = [];
    const options: VerifyDeltaOptions = {
      publicKeys: (creator) => {
        asked.push(creator);
        return [generateSigningKey().publicKey, RFC_PUBLIC.toUpperCase()];
      },
    };
    expect(verifyDelta(signed, options).publicKey).toBe(RFC_PUBLIC);
    expect(asked).toEqual(['alice']);
    expect(
      verifyDelta(signed, {
        publicKeys: () => new Set([new Uint8Array(Buffer.from(RFC_PUBLIC, 'hex'))]),
      }).publicKey,
    ).toBe(RFC_PUBLIC);
  });

  it('KEY_UNKNOWN when the signing key is not among the creator’s keys, or the creator has none', () => {
    const stranger = generateSigningKey();
    for (const keys of [[stranger.publicKey], [], undefined, ['not a key']]) {
      expect(caught(() => verifyDelta(signed, { publicKeys: () => keys }))).toEqual({
        code: 'KEY_UNKNOWN',
        path: ['signature'],
        details: { id: signed.id, creator: 'alice', publicKey: RFC_PUBLIC },
      });
    }
  });

  it('KEY_UNKNOWN for a delta signed by a wrong key, even one that verifies on its own', () => {
    const mallory = generateSigningKey();
    const byMallory = signDelta(sampleDelta(), mallory.secretKey);
    expect(verifyDelta(byMallory).publicKey).toBe(mallory.publicKey);
    const keysOf = (creator: string) => (creator === 'alice' ? [RFC_PUBLIC] : []);
    expect(caught(() => verifyDelta(byMallory, { publicKeys: keysOf })).code).toBe('KEY_UNKNOWN');
  });
});

describe('signatures across encodings and the builder', () => {
  it('survives the JSON round trip and the store encoding; the id is unaffected', () => {
    const signed = signDelta(sampleDelta(), RFC_SECRET);
    const reparsed = parseDeltaJson(JSON.stringify(signed));
    expect(reparsed.signature).toBe(SAMPLE_SIGNATURE);
    expect(reparsed.id).toBe(sampleDelta().id);
    expect(verifyDelta(reparsed).publicKey).toBe(RFC_PUBLIC);

    // A copy from the wire (not marked by this package) goes through the full id check.
    const { json } = parseDeltaWithJson(JSON.parse(JSON.stringify(signed)));
    expect(json.endsWith(`,"signature":"${SAMPLE_SIGNATURE}"}`)).toBe(true);
    const stored = parseDeltaJson(json);
    expect(stored.id).toBe(signed.id);
    expect(verifyDelta(stored).publicKey).toBe(RFC_PUBLIC);
  });

  it('the builder signs every delta it builds with signingKey', () => {
    const key = generateSigningKey();
    const builder = createDeltaBuilder({
      creator: 'alice',
      host: 'host-1',
      timeCreated: 1,
      signingKey: key.secretKey,
    });
    const first = builder.set('alice', { name: 'Alice' }).build();
    const second = builder.at(2).build();
    for (const delta of [first, second]) {
      expect(verifyDelta(delta, { publicKeys: () => [key.publicKey] }).publicKey).toBe(
        key.publicKey,
      );
      expect(delta.id).toBe(computeDeltaId(delta));
    }
    expect(
      createDeltaBuilder({ creator: 'a', host: 'h' }).set('a', { n: 1 }).build().signature,
    ).toBeUndefined();
  });

  it('the builder checks its signing key up front', () => {
    expect(
      caught(() => createDeltaBuilder({ creator: 'a', host: 'h', signingKey: 'nope' })).code,
    ).toBe('SIGNING_KEY_INVALID');
  });
});
