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
export type {
  InvalidEntitiesInput,
  InvalidEntitiesPageJson,
  NodeValidation,
  ValidateInput,
} from './node-validate.ts';
// The reports those carry, so that a transport or client needs no import of @rhizome/views.
export type { ValidationProblem, ValidationReport } from '@rhizome/views';
export {
  MAX_TRUSTED_CREATORS,
  createVerifiedCheck,
  parseTrust,
  trustSchema,
  type TrustJson,
} from './trust-filter.ts';
