/** A primitive pointer target: a value a delta asserts. */
export type Primitive = string | number | boolean | null;

/** A reference pointer target: the entity with this id. */
export interface Reference {
  readonly id: string;
}

export type Target = Primitive | Reference;

/**
 * One role of a delta. `localContext` names the role within the delta; for a reference,
 * `targetContext` names the property of the referenced entity that the delta contributes to.
 */
export interface Pointer {
  readonly localContext: string;
  readonly target: Target;
  readonly targetContext?: string;
}

/** The hashed (and signed) part of a delta: everything but its id and signature. */
export interface DeltaContent {
  readonly timeCreated: number;
  readonly host: string;
  readonly creator: string;
  readonly pointers: readonly Pointer[];
}

/** A content-addressed delta id: base64url (no padding) of SHA-256 over the canonical content. */
export type DeltaId = string;

/**
 * An immutable assertion. Wire format version 1. `signature`, when present, is an Ed25519
 * signature of the content (`ed25519:<public key>:<signature>`, see signDelta and verifyDelta); it
 * is never part of the hashed content, so signing does not change the id.
 */
export interface Delta extends DeltaContent {
  readonly id: DeltaId;
  readonly signature?: string;
}

export const WIRE_FORMAT_VERSION = 1;

export function isReference(target: Target): target is Reference {
  return typeof target === 'object' && target !== null;
}

export function isPrimitive(target: Target): target is Primitive {
  return target === null || typeof target !== 'object';
}
