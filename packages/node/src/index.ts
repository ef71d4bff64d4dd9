export * from './errors.ts';
export * from './principal.ts';
export * from './async-queue.ts';
export * from './complete-delta.ts';
export * from './schema-registry.ts';
export type { EntityCacheStats } from './entity-cache.ts';
export * from './rhizome-node.ts';
export {
  SIGNATURE_POLICIES,
  checkSignatures,
  type SignaturePolicy,
  type SignatureCheckOptions,
} from './verify-signatures.ts';
export {
  MAX_TRUSTED_CREATORS,
  createVerifiedCheck,
  parseTrust,
  trustSchema,
  type TrustJson,
} from './trust-filter.ts';
