import { createDeltaBuilder, derivePublicKey, signDelta, type Delta } from '@rhizome/core';
import { createMemoryStore } from '@rhizome/storage';
import { creatorEntityId, CREATOR_KEYS_PROPERTY } from '@rhizome/views';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenPrincipal, type Principal } from './principal.ts';
import { createRhizomeNode, type RhizomeNode } from './rhizome-node.ts';

const secret = (n: number): string => (n + 1).toString(16).padStart(2, '0').repeat(32);
const ADMIN = secret(0);
const ALICE = secret(1);
const BOB = secret(2);
const open = createOpenPrincipal();

let time = 1;
const build = (creator: string) => createDeltaBuilder({ creator, host: 'h', timeCreated: time++ });
const listKey = (creator: string, key: string): Delta =>
  signDelta(
    build('admin')
      .set(creatorEntityId(creator), { [CREATOR_KEYS_PROPERTY]: derivePublicKey(key) })
      .build(),
    ADMIN,
  );
const title = (creator: string, text: string, by?: string): Delta => {
  const delta = build(creator).set('doc', { title: text }).build();
  return by === undefined ? delta : signDelta(delta, by);
};

let node: RhizomeNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});
const start = async () => {
  node = await createRhizomeNode({
    store: createMemoryStore(),
    nodeId: 'n',
    adminKeys: [derivePublicKey(ADMIN)],
  });
  return node;
};
const codeOf = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: { code?: string; path?: unknown }) => ({ code: error.code, path: error.path }),
  );

describe('trust-filtered reads', () => {
  it('gives readers with different trust different, consistent views of one entity', async () => {
    const n = await start();
    const aliceKey = listKey('alice', ALICE);
    const bobKey = listKey('bob', BOB);
    const a = title('alice', 'by alice', ALICE);
    const b = title('bob', 'by bob', BOB);
    const m = title('mallory', 'by mallory');
    await n.write([aliceKey, bobKey, a, b, m], open);

    expect(await n.view('doc')).toMatchObject({ title: 'by mallory' });
    expect(await n.view('doc', { trust: { creators: ['alice'] } })).toMatchObject({
      title: 'by alice',
    });
    expect(await n.view('doc', { trust: { signed: true } })).toMatchObject({ title: 'by bob' });
    expect(
      await n.view('doc', { trust: { creators: ['alice', 'mallory'], signed: true } }),
    ).toMatchObject({ title: 'by alice' });
    const hyperview = await n.hyperview('doc', { trust: { signed: true }, verification: true });
    expect(hyperview.properties.title!.map((delta) => delta.id).sort()).toEqual(
      [a.id, b.id].sort(),
    );
    expect(hyperview.verified).toEqual([a.id, b.id].sort());
    expect((await n.hyperview('doc', { verification: true })).verified).toEqual(
      [a.id, b.id].sort(),
    );
    expect(await codeOf(n.view('doc', { trust: { creators: ['nobody'] } }))).toMatchObject({
      code: 'ENTITY_NOT_FOUND',
    });
    const page = await n.listViews({ prefix: 'doc', trust: { creators: ['bob'] } });
    expect(page.entities).toEqual([{ id: 'doc', title: 'by bob' }]);
  });

  it('drops the deltas of a revoked key from signed reads, and a negation by an untrusted creator does not count', async () => {
    const n = await start();
    const aliceKey = listKey('alice', ALICE);
    const a = title('alice', 'kept', ALICE);
    await n.write([aliceKey, a], open);
    const undo = build('mallory').negate(a.id).build();
    await n.write([undo], open);
    await expect(codeOf(n.view('doc'))).resolves.toMatchObject({ code: 'ENTITY_NOT_FOUND' });
    expect(await n.view('doc', { trust: { creators: ['alice'] } })).toMatchObject({
      title: 'kept',
    });
    expect(await n.view('doc', { trust: { signed: true } })).toMatchObject({ title: 'kept' });
    await n.write([signDelta(build('admin').negate(aliceKey.id).build(), ADMIN)], open);
    await expect(codeOf(n.view('doc', { trust: { signed: true } }))).resolves.toMatchObject({
      code: 'ENTITY_NOT_FOUND',
    });
    expect((await n.hyperview('doc', { verification: true })).verified).toEqual([]);
  });

  it('refuses a malformed trust setting with INVALID_REQUEST and its path', async () => {
    const n = await start();
    await n.write([title('alice', 'x')], open);
    const bad: unknown[] = [
      { creators: [] },
      { creators: [''] },
      { signed: 'yes' },
      { extra: true },
      { creators: Array.from({ length: 101 }, (_, i) => `c${i}`) },
    ];
    for (const trust of bad) {
      const error = await codeOf(n.view('doc', { trust: trust as never }));
      expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
      expect((error as { path: string[] }).path[0]).toBe('trust');
    }
    await expect(
      codeOf(n.query({ schema: 'none', trust: { creators: [] } })),
    ).resolves.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
  });

  it('re-resolves a trusted subscription when a key is revoked', async () => {
    const n = await start();
    const aliceKey = listKey('alice', ALICE);
    await n.write([aliceKey, title('alice', 'signed', ALICE)], open);
    const controller = new AbortController();
    const views = n.watchEntity('doc', { trust: { signed: true } }, controller.signal);
    expect((await views.next()).value).toEqual({ id: 'doc', title: 'signed' });
    await n.write([signDelta(build('admin').negate(aliceKey.id).build(), ADMIN)], open);
    expect((await views.next()).value).toEqual({ id: 'doc' });
    controller.abort();
    await views.return(undefined);
  });

  it('signs on behalf of a principal that carries a signer', async () => {
    const n = await start();
    await n.write([listKey('alice', ALICE)], open);
    const alice: Principal = {
      creator: 'alice',
      scopes: new Set(['read', 'write']),
      open: false,
      sign: (delta) => signDelta(delta, ALICE),
    };
    const { id } = await n.putProperties('doc', { title: 'server-signed' }, alice);
    const stored = await n.getDelta(id);
    expect(stored.signature).toMatch(new RegExp(`^ed25519:${derivePublicKey(ALICE)}:`));
    expect((await n.hyperview('doc', { verification: true })).verified).toEqual([id]);
  });
});
