// Ed25519 signing and verification of small deltas (2–4 pointers), against computing the same
// deltas' content ids in the same run, so the ratio travels between machines. Five runs; prints
// min / median / max of each rate and of the id rate divided by it (how many content ids cost as
// much as one signature or verification).
// Run: pnpm bench (from packages/core; it runs parse.bench.ts first).
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { verifyEd25519 as verifyNoble } from '../src/ed25519-verify-portable.ts';
import { computeDeltaId } from '../src/id.ts';
import { createDeltaSigner, encodeSignedContent, signDelta, verifyDelta } from '../src/sign.ts';
import { parseSignature } from '../src/signature.ts';
import { generateSigningKey, type SigningKeyPair } from '../src/signing-key.ts';
import type { Delta } from '../src/types.ts';
import { formatRate, makeDeltas, measure, median } from './corpus.ts';

const CORPUS_SIZE = 500;
const RUNS = 5;
const ID_ROUND_MS = 250;
// Curve arithmetic is ~100× slower than hashing: longer rounds keep the count of items sensible.
const CURVE_ROUND_MS = 600;

const deltas = makeDeltas(CORPUS_SIZE);
const keys = new Map<string, SigningKeyPair>();
for (const delta of deltas)
  if (!keys.has(delta.creator)) keys.set(delta.creator, generateSigningKey());
const signers = new Map(
  [...keys].map(([creator, key]) => [creator, createDeltaSigner(key.secretKey)]),
);
const keyOf = (creator: string) => keys.get(creator)!;

const signed = deltas.map((delta) => signers.get(delta.creator)!(delta));
// What a receiver holds: copies off the wire, not objects this package made.
const received: Delta[] = signed.map((delta) => JSON.parse(JSON.stringify(delta)));
const publicKeys = (creator: string) => [keys.get(creator)!.publicKey];

// node:crypto (OpenSSL) over the same bytes: a reference for what a native path would give.
const nodeInputs = received.map((delta) => {
  const parsed = parseSignature(delta.signature!)!;
  const key: KeyObject = createPublicKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      x: Buffer.from(parsed.publicKey, 'hex').toString('base64url'),
    },
    format: 'jwk',
  });
  return {
    key,
    signature: Buffer.from(parsed.signature, 'hex'),
    publicKey: Buffer.from(parsed.publicKey, 'hex'),
    delta,
  };
});

const measures = {
  'content id (computeDeltaId)': () => measure(received, computeDeltaId, ID_ROUND_MS),
  'sign (createDeltaSigner)': () =>
    measure(deltas, (d) => signers.get(d.creator)!(d), CURVE_ROUND_MS),
  'sign (signDelta, one-shot)': () =>
    measure(deltas, (d) => signDelta(d, keyOf(d.creator).secretKey), CURVE_ROUND_MS),
  'verify (verifyDelta)': () => measure(received, (d) => verifyDelta(d), CURVE_ROUND_MS),
  // verifyDelta on Node takes OpenSSL first; this is the portable path browsers run.
  'verify, noble strict only': () =>
    measure(
      nodeInputs,
      (i) => verifyNoble(i.signature, encodeSignedContent(i.delta), i.publicKey) || undefined,
      CURVE_ROUND_MS,
    ),
  'verify + key lookup': () =>
    measure(received, (d) => verifyDelta(d, { publicKeys }), CURVE_ROUND_MS),
  'reference: node:crypto verify': () =>
    measure(
      nodeInputs,
      (i) => nodeVerify(null, encodeSignedContent(i.delta), i.key, i.signature) || undefined,
      CURVE_ROUND_MS,
    ),
} as const;
type Name = keyof typeof measures;
const names = Object.keys(measures) as Name[];

// Warm up every path so the JIT has settled before the measured runs.
for (const name of names) measures[name]();

const rates = new Map<Name, number[]>(names.map((name) => [name, []]));
const ratios = new Map<Name, number[]>(names.map((name) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  const idRate = measures['content id (computeDeltaId)']();
  for (const name of names) {
    const rate = name === 'content id (computeDeltaId)' ? idRate : measures[name]();
    rates.get(name)!.push(rate);
    ratios.get(name)!.push(idRate / rate);
  }
}

const spread = (values: number[], show: (n: number) => string) =>
  `${show(Math.min(...values))} / ${show(median(values))} / ${show(Math.max(...values))}`;
const times = (ratio: number) => `${ratio.toFixed(ratio < 10 ? 2 : 0)}×`;

console.log(
  `@rhizome/core sign benchmark: ${CORPUS_SIZE} small deltas (2–4 pointers), ${keys.size} creators with a key each, ${RUNS} runs`,
);
console.log(
  '  measure                         rate/s min / median / max            content ids per item min / median / max',
);
for (const name of names) {
  console.log(
    `  ${name.padEnd(31)} ${spread(rates.get(name)!, formatRate).padEnd(36)} ${spread(ratios.get(name)!, times)}`,
  );
}
