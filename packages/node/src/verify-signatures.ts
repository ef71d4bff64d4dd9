import {
  CoreErrorCode,
  isRhizomeError,
  normalizePublicKey,
  RhizomeError,
  verifyDelta,
  type Delta,
  Vocabulary,
  type KeyInput,
} from '@rhizome/core';
import { CREATOR_ENTITY_PREFIX, keyListingOf, resolveCreatorKeys } from '@rhizome/views';

/**
 * Whether a node accepts unsigned deltas (RHIZOME_REQUIRE_SIGNATURES):
 * - `off`: yes; a signature, when present, must still verify;
 * - `creators-with-keys`: not under a creator that has valid keys (`_creator:<id>`), and a
 *   signed delta under such a creator must be signed by one of them (or an admin key);
 * - `all`: never, and every delta must be signed by a valid key of its creator or an admin key.
 */
export const SIGNATURE_POLICIES = ['off', 'creators-with-keys', 'all'] as const;
export type SignaturePolicy = (typeof SIGNATURE_POLICIES)[number];

export interface SignatureCheckOptions {
  readonly policy: SignaturePolicy;
  /** Trust roots (RHIZOME_ADMIN_KEYS): they list and revoke creators' keys, and sign as anyone. */
  readonly adminKeys: ReadonlySet<string>;
  /** What the node holds of `_creator:<creator>` (its closure), read when the policy needs it. */
  readonly creatorDeltas: (creator: string) => Iterable<Delta>;
}

/** Lowercase hex keys, dropping anything that is not a public key. */
export function normalizeAdminKeys(keys: Iterable<KeyInput> = []): Set<string> {
  const out = new Set<string>();
  for (const key of keys) {
    const normalized = normalizePublicKey(key);
    if (normalized === undefined) throw new TypeError('an admin key is not 64 hex digits');
    out.add(normalized);
  }
  return out;
}

/**
 * Checks a write or a replicated batch before anything of it is stored. Every signature present
 * must verify (SIGNATURE_INVALID otherwise, whatever the policy): a tampered delta is refused
 * everywhere. Then the policy: SIGNATURE_MISSING for an unsigned delta it does not accept,
 * KEY_UNKNOWN for a signature by a key that is not the creator's. A creator's keys are decided
 * from what the node holds plus the batch itself, so a batch may carry a new key and deltas
 * signed by it, and a key may sign its own retirement. Errors carry the delta's index in `path` when `indexed`.
 */
export function checkSignatures(
  deltas: readonly Delta[],
  options: SignatureCheckOptions,
  indexed = deltas.length !== 1,
): void {
  const at = (i: number) => (indexed ? [i, 'signature'] : ['signature']);
  const signers: (string | undefined)[] = [];
  for (const [i, delta] of deltas.entries()) {
    if (delta.signature === undefined) {
      signers.push(undefined);
      continue;
    }
    try {
      signers.push(verifyDelta(delta).publicKey);
    } catch (error) {
      if (isRhizomeError(error)) {
        throw new RhizomeError(error.code, error.message, {
          path: at(i),
          details: error.details,
          cause: error,
        });
      }
      throw error;
    }
  }
  if (options.policy === 'off') return;

  // Only listings and negations in the batch can change a creator's keys.
  const batchKeyDeltas = deltas.filter(
    (delta) => keyListingOf(delta) !== undefined || delta.pointers.some(isNegationPointer),
  );
  // A creator's keys before the batch and with it: a signer valid in either counts, so that a
  // batch can both add a key and use it, and a key can sign its own retirement.
  const keysByCreator = new Map<string, Set<string>>();
  const keysOf = (creator: string): Set<string> => {
    let keys = keysByCreator.get(creator);
    if (keys === undefined) {
      const held = [...options.creatorDeltas(creator)];
      const resolve = (deltas: Iterable<Delta>) =>
        resolveCreatorKeys(creator, deltas, { adminKeys: options.adminKeys });
      keys = resolve(held);
      if (batchKeyDeltas.length > 0)
        for (const key of resolve([...held, ...batchKeyDeltas])) keys.add(key);
      keysByCreator.set(creator, keys);
    }
    return keys;
  };
  for (const [i, delta] of deltas.entries()) {
    const signer = signers[i];
    const needsKey = options.policy === 'all' || keysOf(delta.creator).size > 0;
    if (!needsKey) continue;
    if (signer === undefined) {
      throw new RhizomeError(
        CoreErrorCode.SignatureMissing,
        options.policy === 'all'
          ? `delta ${delta.id} is not signed, and this node requires signatures`
          : `delta ${delta.id} is not signed, and creator "${delta.creator}" has keys`,
        { path: at(i), details: { id: delta.id, creator: delta.creator } },
      );
    }
    if (options.adminKeys.has(signer) || keysOf(delta.creator).has(signer)) continue;
    throw new RhizomeError(
      CoreErrorCode.KeyUnknown,
      `delta ${delta.id} is signed by key ${signer}, which is not a key of creator "${delta.creator}"`,
      { path: at(i), details: { id: delta.id, creator: delta.creator, publicKey: signer } },
    );
  }
}

function isNegationPointer(pointer: Delta['pointers'][number]): boolean {
  return pointer.localContext === Vocabulary.negates;
}

/** Entities the node keeps resident so that keys are at hand: `_creator:*`. */
export function isCreatorEntity(entityId: string): boolean {
  return entityId.startsWith(CREATOR_ENTITY_PREFIX);
}
