import {
  isReference,
  normalizePublicKey,
  verifyDelta,
  Vocabulary,
  type Delta,
  type KeyInput,
} from '@rhizome/core';

/**
 * Creator keys as data (docs/delta-format.md, "Creator keys"): the public keys of creator `X` are
 * listed on the reserved entity `_creator:X`, property `keys`, one key (64 lowercase hex digits)
 * per delta, and revoked by negating the delta that lists them.
 */
export const CREATOR_ENTITY_PREFIX = '_creator:';
export const CREATOR_KEYS_PROPERTY = 'keys';

export function creatorEntityId(creator: string): string {
  return `${CREATOR_ENTITY_PREFIX}${creator}`;
}

/** A delta that lists public keys of one creator. */
export interface KeyListing {
  readonly creator: string;
  readonly keys: readonly string[];
}

/**
 * The keys a delta lists, or undefined when it is not a key listing: it must point at exactly one
 * `_creator:*` entity with targetContext `keys`, and carries one or more `keys` values that are
 * public keys (any other `keys` value is ignored).
 */
export function keyListingOf(delta: Delta): KeyListing | undefined {
  let creator: string | undefined;
  const keys: string[] = [];
  for (const pointer of delta.pointers) {
    const { target } = pointer;
    if (isReference(target)) {
      if (
        pointer.targetContext === CREATOR_KEYS_PROPERTY &&
        target.id.startsWith(CREATOR_ENTITY_PREFIX)
      ) {
        const named = target.id.slice(CREATOR_ENTITY_PREFIX.length);
        if (creator !== undefined && creator !== named) return undefined;
        creator = named;
      }
    } else if (pointer.localContext === CREATOR_KEYS_PROPERTY && typeof target === 'string') {
      const key = normalizePublicKey(target);
      if (key !== undefined) keys.push(key);
    }
  }
  return creator === undefined || keys.length === 0 ? undefined : { creator, keys };
}

/** The ids a delta negates. */
function negatedIds(delta: Delta): string[] {
  const ids: string[] = [];
  for (const pointer of delta.pointers)
    if (pointer.localContext === Vocabulary.negates && isReference(pointer.target))
      ids.push(pointer.target.id);
  return ids;
}

// Which key signed a delta (null: unsigned or a signature that does not verify). Deltas are
// immutable, so the answer is kept with the object: the registry is recomputed often and a
// verification costs far more than the rest of it.
const signers = new WeakMap<Delta, string | null>();

/** The public key that signed `delta`, or undefined when it is unsigned or does not verify. */
export function signerOf(delta: Delta): string | undefined {
  let signer = signers.get(delta);
  if (signer === undefined) {
    signer = null;
    if (delta.signature !== undefined) {
      try {
        signer = verifyDelta(delta).publicKey;
      } catch {
        signer = null;
      }
    }
    signers.set(delta, signer);
  }
  return signer ?? undefined;
}

export interface CreatorKeysOptions {
  /** Trust roots: keys that may list and revoke keys of any creator (a node setting). */
  readonly adminKeys?: Iterable<KeyInput>;
}

/**
 * The valid public keys of `creator`, decided from a set of deltas (the closure of
 * `_creator:<creator>`, plus anything else: unrelated deltas are ignored). A function of the set,
 * not of the order the deltas came in, so every node holding the same deltas agrees.
 *
 * 1. A listing negated by a delta an admin key signed is out (hard revocation).
 * 2. The *endorsed* keys are the least fixpoint of: a listing counts when an admin key signed it,
 *    or when one of the endorsed keys signed it and its `creator` is `creator`.
 * 3. A counted listing negated by a delta that an admin key or an endorsed key of `creator`
 *    signed (with `creator` as its creator) is revoked (rotation: the new key retires the old).
 * 4. The valid keys are those of the counted listings that are not revoked.
 *
 * Endorsement ignores step 3 so that rotation holds: a key listed by the old key stays valid
 * when the old one is retired. A retired key can therefore still list keys; a key that leaked is
 * revoked by an admin (step 1), which also undoes what it alone endorsed or revoked.
 */
export function resolveCreatorKeys(
  creator: string,
  deltas: Iterable<Delta>,
  options: CreatorKeysOptions = {},
): Set<string> {
  const admin = new Set<string>();
  for (const key of options.adminKeys ?? []) {
    const normalized = normalizePublicKey(key);
    if (normalized !== undefined) admin.add(normalized);
  }
  const listings = new Map<string, { delta: Delta; keys: readonly string[] }>();
  const negations: Delta[] = [];
  for (const delta of deltas) {
    const listing = keyListingOf(delta);
    if (listing !== undefined) {
      if (listing.creator === creator) listings.set(delta.id, { delta, keys: listing.keys });
    } else if (negatedIds(delta).length > 0) negations.push(delta);
  }
  if (listings.size === 0) return new Set();

  const revokedBy = (isAuthority: (negation: Delta) => boolean): Set<string> => {
    const revoked = new Set<string>();
    for (const negation of negations) {
      if (!negatedIds(negation).some((id) => listings.has(id))) continue;
      if (!isAuthority(negation)) continue;
      for (const id of negatedIds(negation)) revoked.add(id);
    }
    return revoked;
  };
  const signedByAdmin = (delta: Delta): boolean => {
    const signer = signerOf(delta);
    return signer !== undefined && admin.has(signer);
  };

  const hardRevoked = revokedBy(signedByAdmin);
  const endorsed = new Set<string>();
  const counted = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const [id, { delta, keys }] of listings) {
      if (counted.has(id) || hardRevoked.has(id)) continue;
      const signer = signerOf(delta);
      if (signer === undefined) continue;
      if (!admin.has(signer) && !(endorsed.has(signer) && delta.creator === creator)) continue;
      counted.add(id);
      for (const key of keys) endorsed.add(key);
      changed = true;
    }
  }
  const revoked = revokedBy((negation) => {
    if (signedByAdmin(negation)) return true;
    const signer = signerOf(negation);
    return signer !== undefined && endorsed.has(signer) && negation.creator === creator;
  });
  const valid = new Set<string>();
  for (const id of counted) {
    if (revoked.has(id)) continue;
    for (const key of listings.get(id)!.keys) valid.add(key);
  }
  return valid;
}
