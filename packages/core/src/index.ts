export * from './types.ts';
export * from './errors.ts';
export * from './limits.ts';
export * from './vocabulary.ts';
export * from './canonical.ts';
export * from './id.ts';
export * from './schema.ts';
// Not `export *`: freezeVerifiedDelta stays inside the package (see verified.ts).
export {
  createDeltaWithJson,
  freezeDelta,
  parseDelta,
  parseDeltaContent,
  parseDeltaJson,
  parseDeltaWithJson,
  parseDeltaWithKnownJson,
  type ParseOptions,
  type ParsedDelta,
} from './parse.ts';
export * from './create.ts';
export * from './order.ts';
export * from './clock.ts';
export * from './builder.ts';
export {
  derivePublicKey,
  generateSigningKey,
  normalizePublicKey,
  type KeyInput,
  type SigningKeyPair,
} from './signing-key.ts';
export {
  SIGNATURE_ALGORITHM,
  SIGNATURE_LENGTH,
  formatSignature,
  parseSignature,
  type DeltaSignature,
} from './signature.ts';
export * from './sign.ts';
export * from './legacy.ts';
