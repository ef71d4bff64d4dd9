import { RhizomeError, type RhizomeErrorOptions } from '@rhizome/core';

/** Stable codes of the errors this package throws on purpose. Match on `code`, not `instanceof`. */
export const ViewsErrorCode = {
  /** A schema (TypeScript or JSON) is malformed. */
  SchemaInvalid: 'SCHEMA_INVALID',
  /** A schema uses a function or object that has no JSON form. */
  SchemaNotSerializable: 'SCHEMA_NOT_SERIALIZABLE',
  /** A nested reference names a schema the store does not know. */
  SchemaUnknown: 'SCHEMA_UNKNOWN',
  /** A resolver name or configuration is unknown or malformed. */
  ResolverInvalid: 'RESOLVER_INVALID',
  /** A query is malformed (bad filter, limit or cursor). */
  QueryInvalid: 'QUERY_INVALID',
  /** Something that is not a delta was ingested. */
  DeltaRejected: 'DELTA_REJECTED',
} as const;

export type ViewsErrorCode = (typeof ViewsErrorCode)[keyof typeof ViewsErrorCode];

export function createViewsError(
  code: ViewsErrorCode,
  message: string,
  options?: RhizomeErrorOptions,
): RhizomeError<ViewsErrorCode> {
  return new RhizomeError(code, message, options);
}
