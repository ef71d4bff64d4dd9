import { createDeltaBuilder, derivePublicKey, signDelta, type Delta } from '@rhizome/core';
import { createMemoryStore } from '@rhizome/storage';
import { creatorEntityId, CREATOR_KEYS_PROPERTY } from '@rhizome/views';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenPrincipal } from './principal.ts';
import { createRhizomeNode, type RhizomeNode } from './rhizome-node.ts';
import type { SignaturePolicy } from './verify-signatures.ts';

const secret = (n: number): string => (n + 1).toString(16).padStart(2, '0').repeat(32);
const ADMIN = secret(0);
const ALICE_1 = secret(1);
const ALICE_2 = secret(2);
const MALLORY = secret(3);
const open = createOpenPrincipal();

let time = 1;
const build = (creator: string) => createDeltaBuilder({ creator, host: 'h', timeCreated: time++ });
const listKey = (creator: string, key: string, by: string, as: string): Delta =>
  signDelta(
    build(as)
      .set(creatorEntityId(creator), { [CREATOR_KEYS_PROPERTY]: derivePublicKey(key) })
      .build(),
    by,
  );
const note = (creator: string, by?: string): Delta => {
  const delta = build(creator)
    .set('doc', { text: `t${time}` })
    .build();
  return by === undefined ? delta : signDelta(delta, by);
};
const tamper = (delta: Delta): Delta => ({
  ...delta,
  signature: delta.signature!.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
});

let node: RhizomeNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});
const start = async (policy: SignaturePolicy) => {
  node = await createRhizomeNode({
    store: createMemoryStore(),
    nodeId: 'n',
    requireSignatures: policy,
    adminKeys: [derivePublicKey(ADMIN)],
  });
  return node;
};
const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );

describe('signatures at the node boundary', () => {
  it('refuses a tampered delta from writers and peers, storing nothing of the batch', async () => {
    const n = await start('off');
    const good = note('alice', ALICE_1);
    const bad = tamper(note('alice', ALICE_1));
    expect(await codeOf(n.write([good, bad], open))).toBe('SIGNATURE_INVALID');
    expect(await codeOf(n.replicate([good, bad]))).toBe('SIGNATURE_INVALID');
    expect((await n.status()).deltas).toBe(0);
    // Off: unsigned deltas and signatures by keys nobody listed are kept (they may verify later).
    await n.write([good, note('alice')], open);
    expect((await n.status()).deltas).toBe(2);
  });

  it('creators-with-keys: a creator with keys must sign with one of them', async () => {
    const n = await start('creators-with-keys');
    await n.write([note('bob')], open); // bob has no keys: unsigned is fine
    await n.write([listKey('alice', ALICE_1, ADMIN, 'admin')], open);
    expect(await codeOf(n.replicate([note('alice')]))).toBe('SIGNATURE_MISSING');
    expect(await codeOf(n.replicate([note('alice', MALLORY)]))).toBe('KEY_UNKNOWN');
    expect(await codeOf(n.putProperties('x', { a: 1 }, createOpenPrincipal('alice')))).toBe(
      'SIGNATURE_MISSING',
    );
    expect((await n.replicate([note('alice', ALICE_1)])).inserted).toHaveLength(1);
    // A new key and a delta it signs may travel together.
    const listing = listKey('alice', ALICE_2, ALICE_1, 'alice');
    expect((await n.replicate([note('alice', ALICE_2), listing])).inserted).toHaveLength(2);
    // A key may sign its own retirement; afterwards it is unknown.
    const retire = signDelta(build('alice').negate(listing.id).build(), ALICE_2);
    expect((await n.write([retire], open))[0]!.status).toBe('stored');
    expect(await codeOf(n.write([note('alice', ALICE_2)], open))).toBe('KEY_UNKNOWN');
  });

  it('rotation and revocation change what is accepted', async () => {
    const n = await start('all');
    expect(await codeOf(n.write([note('bob')], open))).toBe('SIGNATURE_MISSING');
    const root = listKey('alice', ALICE_1, ADMIN, 'admin');
    await n.write([root], open);
    await n.write([note('alice', ALICE_1)], open);
    // Rotate: the old key lists the new one, the new one retires the old.
    await n.write([listKey('alice', ALICE_2, ALICE_1, 'alice')], open);
    await n.write([signDelta(build('alice').negate(root.id).build(), ALICE_2)], open);
    expect(await codeOf(n.write([note('alice', ALICE_1)], open))).toBe('KEY_UNKNOWN');
    await n.write([note('alice', ALICE_2)], open);
    // A node opened later over the same store reads the keys from storage.
    const store = createMemoryStore();
    const first = await createRhizomeNode({ store, nodeId: 'a' });
    await first.write([root], open);
    const second = await createRhizomeNode({
      store,
      nodeId: 'b',
      requireSignatures: 'all',
      adminKeys: [derivePublicKey(ADMIN)],
    });
    expect(await codeOf(second.write([note('alice', MALLORY)], open))).toBe('KEY_UNKNOWN');
    await second.write([note('alice', ALICE_1)], open);
    await second.close();
  });

  it('a principal with a server-held key gets its writes stored with their signature', async () => {
    // The stores that keep JSON text (PostgreSQL, PGlite) store what appendValidated is given:
    // record it, and check that the text carries the signature the node added.
    const store = createMemoryStore();
    const handed: string[] = [];
    const appendValidated = store.appendValidated.bind(store);
    store.appendValidated = (input) => {
      for (const { json } of input) if (json !== undefined) handed.push(json);
      return appendValidated(input);
    };
    node = await createRhizomeNode({
      store,
      nodeId: 'n',
      requireSignatures: 'all',
      adminKeys: [derivePublicKey(ADMIN)],
    });
    await node.write([listKey('alice', ALICE_1, ADMIN, 'admin')], open);
    const alice = { ...createOpenPrincipal('alice'), sign: (d: Delta) => signDelta(d, ALICE_1) };
    const input = {
      pointers: [{ localContext: 'doc', target: { id: 'doc' }, targetContext: 'x' }],
    };
    const [written] = await node.write([input], alice);
    const put = await node.putProperties('doc', { y: 1 }, alice);
    for (const { id } of [written!, put]) {
      expect((await node.getDelta(id)).signature, id).toBeDefined();
    }
    for (const json of handed) expect(JSON.parse(json).signature, json).toBeDefined();
  });
});
