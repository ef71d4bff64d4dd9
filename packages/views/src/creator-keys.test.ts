import { createDeltaBuilder, derivePublicKey, signDelta, type Delta } from '@rhizome/core';
import { assertProperty } from '@rhizome/vitest-config/seed';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  creatorEntityId,
  CREATOR_KEYS_PROPERTY,
  keyListingOf,
  resolveCreatorKeys,
  signerOf,
} from './creator-keys.ts';
import { createViewStore } from './view-store.ts';

// Fixed secret keys, so that a seed replays the same signatures.
const secret = (n: number): string => (n + 1).toString(16).padStart(2, '0').repeat(32);
const ADMIN = secret(0);
const K = [secret(1), secret(2), secret(3), secret(4)];
const pub = (secretKey: string): string => derivePublicKey(secretKey);
const adminKeys = [pub(ADMIN)];

let clockTime = 1;
const builder = (creator: string) =>
  createDeltaBuilder({ creator, host: 'h', timeCreated: clockTime++ });

/** A listing of `key` for `creator`, by `by` (a secret key), written as creator `as`. */
function listKey(creator: string, key: string, by: string, as = creator): Delta {
  return signDelta(
    builder(as)
      .set(creatorEntityId(creator), { [CREATOR_KEYS_PROPERTY]: pub(key) })
      .build(),
    by,
  );
}
function revoke(listing: Delta, by: string, as = 'alice'): Delta {
  return signDelta(builder(as).negate(listing.id).build(), by);
}
function data(by: string | undefined, creator = 'alice'): Delta {
  const delta = builder(creator)
    .set('doc', { text: `t${clockTime}` })
    .build();
  return by === undefined ? delta : signDelta(delta, by);
}

describe('creator keys', () => {
  it('reads a key listing and who signed it', () => {
    const listing = listKey('alice', K[0]!, ADMIN, 'admin');
    expect(keyListingOf(listing)).toEqual({ creator: 'alice', keys: [pub(K[0]!)] });
    expect(keyListingOf(data(undefined))).toBeUndefined();
    expect(signerOf(listing)).toBe(pub(ADMIN));
    expect(signerOf(data(undefined))).toBeUndefined();
    const tampered = {
      ...listing,
      signature: listing.signature!.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
    };
    expect(signerOf(tampered)).toBeUndefined();
  });

  it('counts listings an admin signed, then keys those keys list', () => {
    const first = listKey('alice', K[0]!, ADMIN, 'admin');
    const second = listKey('alice', K[1]!, K[0]!);
    expect(resolveCreatorKeys('alice', [second, first], { adminKeys })).toEqual(
      new Set([pub(K[0]!), pub(K[1]!)]),
    );
    // Without the root, nothing is endorsed; a self-signed listing endorses nothing either.
    expect(resolveCreatorKeys('alice', [second, first])).toEqual(new Set());
    expect(resolveCreatorKeys('alice', [listKey('alice', K[2]!, K[2]!)], { adminKeys })).toEqual(
      new Set(),
    );
    // A key of alice lists nothing for bob, and a listing written as another creator does not count.
    expect(
      resolveCreatorKeys('bob', [first, listKey('bob', K[2]!, K[0]!, 'alice')], { adminKeys }),
    ).toEqual(new Set());
    expect(
      resolveCreatorKeys('alice', [first, listKey('alice', K[2]!, K[0]!, 'bob')], { adminKeys }),
    ).toEqual(new Set([pub(K[0]!)]));
  });

  it('rotates: the new key retires the old and stays valid', () => {
    const first = listKey('alice', K[0]!, ADMIN, 'admin');
    const second = listKey('alice', K[1]!, K[0]!);
    const retire = revoke(first, K[1]!);
    expect(resolveCreatorKeys('alice', [first, second, retire], { adminKeys })).toEqual(
      new Set([pub(K[1]!)]),
    );
    // A negation by a key that is not alice's changes nothing.
    expect(
      resolveCreatorKeys('alice', [first, second, revoke(first, K[3]!)], { adminKeys }),
    ).toEqual(new Set([pub(K[0]!), pub(K[1]!)]));
  });

  it('an admin revocation drops the key and what it alone endorsed', () => {
    const first = listKey('alice', K[0]!, ADMIN, 'admin');
    const second = listKey('alice', K[1]!, K[0]!);
    const third = listKey('alice', K[2]!, ADMIN, 'admin');
    expect(
      resolveCreatorKeys('alice', [first, second, third, revoke(first, ADMIN, 'admin')], {
        adminKeys,
      }),
    ).toEqual(new Set([pub(K[2]!)]));
  });
});

type Op =
  | { kind: 'list'; key: number; by: number } // by: -1 admin, else a key index
  | { kind: 'revoke'; listing: number; by: number }
  | { kind: 'data'; key: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('list' as const),
    key: fc.integer({ min: 0, max: 3 }),
    by: fc.integer({ min: -1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('revoke' as const),
    listing: fc.nat(8),
    by: fc.integer({ min: -1, max: 3 }),
  }),
  fc.record({ kind: fc.constant('data' as const), key: fc.integer({ min: 0, max: 3 }) }),
);

// Signing is the slow part: the same (content, key) is signed once per run.
function buildHistory(ops: readonly Op[]): { deltas: Delta[]; data: Delta[] } {
  const deltas: Delta[] = [];
  const listings: Delta[] = [];
  const dataDeltas: Delta[] = [];
  const signer = (by: number) => (by < 0 ? ADMIN : K[by]!);
  for (const op of ops) {
    if (op.kind === 'list') {
      const delta = listKey('alice', K[op.key]!, signer(op.by), op.by < 0 ? 'admin' : 'alice');
      listings.push(delta);
      deltas.push(delta);
    } else if (op.kind === 'revoke') {
      if (listings.length === 0) continue;
      const target = listings[op.listing % listings.length]!;
      deltas.push(revoke(target, signer(op.by), op.by < 0 ? 'admin' : 'alice'));
    } else {
      const delta = data(K[op.key]!);
      dataDeltas.push(delta);
      deltas.push(delta);
    }
  }
  return { deltas, data: dataDeltas };
}

describe('creator keys (properties)', () => {
  it('depend on the set of deltas, not on their delivery order; a delta verifies once its key arrives', () => {
    assertProperty(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 8 }),
        fc.func(fc.integer()),
        (ops, rank) => {
          const { deltas, data: dataDeltas } = buildHistory(ops);
          const expected = resolveCreatorKeys('alice', deltas, { adminKeys });
          // Deliver in another order, one at a time, into a view store as a node would.
          const order = deltas
            .map((delta, i) => ({ delta, r: rank(i) }))
            .sort((a, b) => a.r - b.r)
            .map((entry) => entry.delta);
          const store = createViewStore();
          for (const [i, delta] of order.entries()) {
            store.ingest(delta);
            const keys = resolveCreatorKeys('alice', store.closure(creatorEntityId('alice')), {
              adminKeys,
            });
            // The closure holds everything that decides the keys: same answer as the raw prefix.
            const prefix = order.slice(0, i + 1).reverse();
            expect(keys).toEqual(resolveCreatorKeys('alice', prefix, { adminKeys }));
            if (i === order.length - 1) expect(keys).toEqual(expected);
          }
          // A data delta is verified, at the end, exactly when its key is valid in the history.
          const verified = dataDeltas.filter((d) => expected.has(signerOf(d)!)).map((d) => d.id);
          const keysAfter = resolveCreatorKeys('alice', store.closure(creatorEntityId('alice')), {
            adminKeys,
          });
          expect(dataDeltas.filter((d) => keysAfter.has(signerOf(d)!)).map((d) => d.id)).toEqual(
            verified,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a data delta that arrives before its key becomes verified when the key arrives', () => {
    assertProperty(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.boolean(), (key, viaChain) => {
        const root = listKey('alice', K[(key + 1) % 4]!, ADMIN, 'admin');
        const listing = viaChain
          ? listKey('alice', K[key]!, K[(key + 1) % 4]!)
          : listKey('alice', K[key]!, ADMIN, 'admin');
        const signed = data(K[key]!);
        const store = createViewStore();
        store.ingest(signed);
        store.ingest(root);
        const before = resolveCreatorKeys('alice', store.closure(creatorEntityId('alice')), {
          adminKeys,
        });
        expect(before.has(signerOf(signed)!)).toBe(false);
        store.ingest(listing);
        const after = resolveCreatorKeys('alice', store.closure(creatorEntityId('alice')), {
          adminKeys,
        });
        expect(after.has(signerOf(signed)!)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });
});
