import {
  compareDeltas,
  createDeltaWithJson,
  hasValidId,
  parseDeltaWithJson,
  type Delta,
} from '@rhizome/core';
import {
  StorageErrorCode,
  isStorageError,
  replayStore,
  type DeltaStore,
  type StoredDelta,
} from '@rhizome/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmallDeltas, startDelta } from './fixtures.ts';

/** What a backend hands the contract suite for one test. */
export interface StoreUnderTest {
  /** A fresh, empty store. */
  readonly store: DeltaStore;
  /** Opens the same data again after `store` was closed, as a restarted node would. */
  readonly reopen?: () => Promise<DeltaStore>;
}

export type CreateStoreUnderTest = () => Promise<StoreUnderTest>;

export interface DeltaStoreContractOptions {
  /**
   * Stores for the restart tests, which need `reopen`. Defaults to `createStore`. Backends that
   * keep nothing across a restart (memory) pass `false` and the restart tests are not run.
   */
  readonly createRestartableStore?: CreateStoreUnderTest | false;
}

/** Expects `promise` to reject with a storage error of `code`; returns the error. */
export async function expectStorageError(
  promise: Promise<unknown>,
  code: StorageErrorCode,
): Promise<unknown> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${code} error`).toBeDefined();
  expect(isStorageError(caught) ? caught.code : caught).toBe(code);
  return caught;
}

async function readAllChanges(store: DeltaStore, pageSize = 1_000): Promise<StoredDelta[]> {
  const all: StoredDelta[] = [];
  await replayStore(store, (entries) => void all.push(...entries), { pageSize });
  return all;
}

const T = 1_700_000_000_000;

/**
 * The storage contract: the same tests for every DeltaStore backend. Call it inside a test file;
 * `createStore` is called once per test and must return an empty store.
 */
export function describeDeltaStoreContract(
  name: string,
  createStore: CreateStoreUnderTest,
  options: DeltaStoreContractOptions = {},
): void {
  const createRestartable = options.createRestartableStore ?? createStore;
  describe(`DeltaStore contract: ${name}`, () => {
    const open: DeltaStore[] = [];
    const track = async (create: CreateStoreUnderTest): Promise<StoreUnderTest> => {
      const subject = await create();
      open.push(subject.store);
      return subject;
    };
    const setup = (): Promise<StoreUnderTest> => track(createStore);
    const fresh = async (): Promise<DeltaStore> => (await setup()).store;

    afterEach(async () => {
      await Promise.all(open.splice(0).map((store) => store.close()));
    });

    describe('append', () => {
      it('stores a batch, reports which deltas were new and is idempotent by id', async () => {
        const store = await fresh();
        const [a, b, c] = createSmallDeltas(3);
        expect(await store.append([a, b])).toEqual({ inserted: [a!.id, b!.id], duplicates: [] });
        expect(await store.append([b, c, a])).toEqual({
          inserted: [c!.id],
          duplicates: [b!.id, a!.id],
        });
        expect(await store.counts()).toMatchObject({ deltas: 3, lastSeq: expect.any(Number) });
      });

      it('treats a delta repeated within one batch as a duplicate', async () => {
        const store = await fresh();
        const [a, b] = createSmallDeltas(2);
        expect(await store.append([a, b, a])).toEqual({
          inserted: [a!.id, b!.id],
          duplicates: [a!.id],
        });
        expect((await store.counts()).deltas).toBe(2);
      });

      it('accepts an empty batch', async () => {
        const store = await fresh();
        expect(await store.append([])).toEqual({ inserted: [], duplicates: [] });
      });

      it('rejects the whole batch when one delta is invalid, before writing any of it', async () => {
        const store = await fresh();
        const [a, b] = createSmallDeltas(2);
        const bad = { ...b!, pointers: [] };
        const error = await expectStorageError(
          store.append([a, bad]),
          StorageErrorCode.InvalidInput,
        );
        expect((error as { path?: unknown[] }).path?.[0]).toBe(1);
        const tampered = { ...b!, creator: 'mallory' };
        const mismatch = await expectStorageError(
          store.append([a, tampered]),
          StorageErrorCode.InvalidInput,
        );
        expect((mismatch as { cause?: { code?: string } }).cause?.code).toBe('DELTA_ID_MISMATCH');
        await expectStorageError(store.append([a, 'not a delta']), StorageErrorCode.InvalidInput);
        expect(await store.counts()).toMatchObject({ deltas: 0, entities: 0 });
        expect((await store.changes()).entries).toEqual([]);
      });

      it('rejects names holding U+0000, which PostgreSQL text cannot store', async () => {
        const store = await fresh();
        const delta = startDelta(T).set('bad\u0000id', { value: 1 }).build();
        await expectStorageError(store.append([delta]), StorageErrorCode.InvalidInput);
        // The same character inside a primitive value is fine: values live in the wire delta.
        const ok = startDelta(T).set('ok', { value: 'a\u0000b' }).build();
        expect((await store.append([ok])).inserted).toEqual([ok.id]);
        expect(await store.get([ok.id])).toEqual([ok]);
      });

      it('appendValidated stores parsed deltas as append does, reading back the same JSON', async () => {
        const store = await fresh();
        const [a, b, c] = createSmallDeltas(3);
        const parsed = [a!, b!].map((delta) => parseDeltaWithJson(delta));
        // A delta decoded from its content, as sync makes them, with a signature the id does not cover.
        const { id: _id, ...content } = c!;
        const signed = createDeltaWithJson(content, 'ed25519:' + 'ab'.repeat(64));
        expect(await store.appendValidated([...parsed, signed, parsed[0]!])).toEqual({
          inserted: [a!.id, b!.id, signed.delta.id],
          duplicates: [a!.id],
        });
        expect(await store.append([a, signed.delta])).toEqual({
          inserted: [],
          duplicates: [a!.id, signed.delta.id],
        });
        const stored = await store.get([a!.id, b!.id, signed.delta.id]);
        expect(stored).toEqual([a, b, signed.delta]);
        expect(stored.map((delta) => parseDeltaWithJson(delta).json)).toEqual([
          parsed[0]!.json,
          parsed[1]!.json,
          signed.json,
        ]);
      });

      it("appendValidated validates what core did not, with append's errors", async () => {
        const store = await fresh();
        const [a, b] = createSmallDeltas(2);
        const good = parseDeltaWithJson(a);
        // A copy of a checked delta is plain data again: its id is checked, whatever JSON came along.
        const tampered = { delta: { ...b!, creator: 'mallory' }, json: parseDeltaWithJson(b).json };
        const mismatch = await expectStorageError(
          store.appendValidated([good, tampered as never]),
          StorageErrorCode.InvalidInput,
        );
        expect((mismatch as { path?: unknown[] }).path?.[0]).toBe(1);
        expect((mismatch as { cause?: { code?: string } }).cause?.code).toBe('DELTA_ID_MISMATCH');
        await expectStorageError(
          store.appendValidated([good, 'not an entry' as never]),
          StorageErrorCode.InvalidInput,
        );
        await expectStorageError(
          store.appendValidated('nope' as never),
          StorageErrorCode.InvalidInput,
        );
        const nul = parseDeltaWithJson(startDelta(T).set('bad\u0000id', { value: 1 }).build());
        await expectStorageError(store.appendValidated([nul]), StorageErrorCode.InvalidInput);
        expect(await store.counts()).toMatchObject({ deltas: 0, entities: 0 });
      });

      it('stores a large batch in one call', async () => {
        const store = await fresh();
        const deltas = createSmallDeltas(3_000, { entities: 300 });
        expect((await store.append(deltas)).inserted).toHaveLength(3_000);
        expect(await store.counts()).toMatchObject({ deltas: 3_000, entities: 300 });
      });

      it('keeps concurrent, overlapping batches consistent', async () => {
        const store = await fresh();
        const deltas = createSmallDeltas(400, { entities: 40 });
        const batches = [0, 1, 2, 3].map((k) => deltas.slice(k * 80, k * 80 + 160));
        const results = await Promise.all(batches.map((batch) => store.append(batch)));
        const inserted = results.flatMap((r) => r.inserted);
        expect(new Set(inserted).size).toBe(inserted.length);
        expect(inserted.length).toBe(400);
        const feed = await readAllChanges(store, 97);
        expect(feed.map((e) => e.delta.id).sort()).toEqual(deltas.map((d) => d.id).sort());
        const seqs = feed.map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(new Set(seqs).size).toBe(seqs.length);
      });
    });

    describe('get', () => {
      it('returns stored deltas in the order asked, once each, leaving unknown ids out', async () => {
        const store = await fresh();
        const [a, b, c] = createSmallDeltas(3);
        await store.append([a, b]);
        expect(await store.get([b!.id, c!.id, a!.id, b!.id])).toEqual([b, a]);
        expect(await store.get([])).toEqual([]);
      });

      it('returns deltas exactly as written, ids still valid', async () => {
        const store = await fresh();
        const odd: Delta[] = [
          startDelta(0).set('u', { text: 'héllo 🌱 \n "quoted" \\ back' }).build(),
          startDelta(T)
            .set('n', { big: 8_640_000_000_000_000, tiny: 5e-324, neg: -0.1, float: 0.1 + 0.2 })
            .build(),
          startDelta(T).set('x', { nothing: null, yes: true, no: false, empty: '' }).build(),
          startDelta(8_640_000_000_000_000)
            .relate({ entity: 'a', property: 'knows' }, { entity: 'b', property: 'knows' })
            .build(),
          startDelta(T).pointer({ localContext: 'plain', target: 'only a primitive' }).build(),
        ];
        // The signature is outside the hashed content, so the same id may carry one.
        odd.push({
          ...startDelta(T + 1)
            .set('s', { v: 1 })
            .build(),
          signature: 'sig-v0',
        });
        await store.append(odd.slice(0, 2));
        await store.append(odd.slice(1));
        for (const delta of odd) {
          const [back] = await store.get([delta.id]);
          expect(back).toEqual(delta);
          expect(hasValidId(back!)).toBe(true);
        }
      });
    });

    describe('hyperview', () => {
      it('lists every pointer at an entity in delta order, with property and asOf filters', async () => {
        const store = await fresh();
        const late = startDelta(T + 30)
          .set('alice', { name: 'Alicia' })
          .build();
        const early = startDelta(T + 10)
          .set('alice', { name: 'Alice', age: 31 })
          .build();
        const friend = startDelta(T + 20)
          .relate({ entity: 'alice', property: 'friends' }, { entity: 'bob', property: 'friends' })
          .build();
        const other = startDelta(T + 15)
          .set('carol', { name: 'Carol' })
          .build();
        await store.append([late, other]);
        await store.append([friend, early]);

        const rows = await store.hyperview('alice');
        expect(rows.map((r) => [r.delta.id, r.property, r.localContext])).toEqual([
          [early.id, 'name', 'entity'],
          [early.id, 'age', 'entity'],
          [friend.id, 'friends', 'friends'],
          [late.id, 'name', 'entity'],
        ]);
        expect(
          (await store.hyperview('alice', { property: 'name' })).map((r) => r.delta.id),
        ).toEqual([early.id, late.id]);
        expect((await store.hyperview('alice', { asOf: T + 20 })).map((r) => r.delta.id)).toEqual([
          early.id,
          early.id,
          friend.id,
        ]);
        expect(await store.hyperview('alice', { property: 'name', asOf: T + 9 })).toEqual([]);
        expect((await store.hyperview('bob')).map((r) => r.delta)).toEqual([friend]);
        expect(await store.hyperview('nobody')).toEqual([]);
        // asOf far outside the range of timestamps still means "everything up to then".
        expect(await store.hyperview('alice', { asOf: 1e300 })).toEqual(rows);
        expect(await store.hyperview('alice', { asOf: -1e300 })).toEqual([]);
        expect(await store.closure(['alice'], { asOf: 1e300 })).toEqual(
          await store.closure(['alice']),
        );
      });

      it('orders deltas created in the same millisecond by id', async () => {
        const store = await fresh();
        const same = [1, 2, 3, 4, 5].map((v) => startDelta(T).set('e', { v }).build());
        await store.append([...same].reverse());
        const expected = [...same].sort(compareDeltas).map((d) => d.id);
        expect((await store.hyperview('e')).map((r) => r.delta.id)).toEqual(expected);
      });
    });

    describe('closure', () => {
      it('holds the entity deltas, their negations transitively and whole transactions', async () => {
        const store = await fresh();
        const name = startDelta(T + 1)
          .set('alice', { name: 'Alice' })
          .build();
        const undo = startDelta(T + 2)
          .negate(name.id)
          .build();
        const redo = startDelta(T + 3)
          .negate(undo.id)
          .build();
        const declare = startDelta(T + 4)
          .declareTransaction('tx-1', 2)
          .build();
        const memberA = startDelta(T + 5)
          .set('alice', { age: 31 })
          .inTransaction('tx-1')
          .build();
        const memberB = startDelta(T + 6)
          .set('bob', { age: 40 })
          .inTransaction('tx-1')
          .build();
        const undoB = startDelta(T + 7)
          .negate(memberB.id)
          .build();
        const bobOnly = startDelta(T + 8)
          .set('bob', { name: 'Bob' })
          .build();
        const unrelated = startDelta(T + 9)
          .set('carol', { name: 'Carol' })
          .build();
        const all = [name, undo, redo, declare, memberA, memberB, undoB, bobOnly, unrelated];
        await store.append([...all].reverse());

        const closure = await store.closure(['alice']);
        expect(closure.map((d) => d.id)).toEqual(
          [name, undo, redo, declare, memberA, memberB, undoB].map((d) => d.id),
        );
        expect(closure).toEqual([name, undo, redo, declare, memberA, memberB, undoB]);

        const asOf = await store.closure(['alice'], { asOf: T + 5 });
        expect(asOf.map((d) => d.id)).toEqual(
          [name, undo, redo, declare, memberA].map((d) => d.id),
        );

        const both = await store.closure(['carol', 'alice', 'carol']);
        expect(both.map((d) => d.id)).toEqual([...closure, unrelated].map((d) => d.id));
        expect(await store.closure(['nobody'])).toEqual([]);
        expect(await store.closure([])).toEqual([]);
      });
    });

    describe('changes feed', () => {
      it('pages through every delta once, in increasing sequence order, resuming from a cursor', async () => {
        const store = await fresh();
        const deltas = createSmallDeltas(25, { entities: 5 });
        const before = Date.now();
        await store.append(deltas.slice(0, 10));
        await store.append(deltas.slice(5, 20));

        const first = await store.changes({ limit: 8 });
        expect(first.entries).toHaveLength(8);
        expect(first.hasMore).toBe(true);
        const rest = await store.changes({ after: first.cursor, limit: 100 });
        expect(rest.entries).toHaveLength(12);
        expect(rest.hasMore).toBe(false);
        const feed = [...first.entries, ...rest.entries];
        expect(feed.map((e) => e.delta)).toEqual(deltas.slice(0, 20));
        for (let i = 1; i < feed.length; i++)
          expect(feed[i]!.seq).toBeGreaterThan(feed[i - 1]!.seq);
        expect(feed[0]!.seq).toBeGreaterThan(0);
        for (const entry of feed) {
          expect(entry.receivedAt).toBeGreaterThanOrEqual(before - 60_000);
          expect(entry.receivedAt).toBeLessThanOrEqual(Date.now() + 60_000);
        }

        const idle = await store.changes({ after: rest.cursor });
        expect(idle).toEqual({ entries: [], cursor: rest.cursor, hasMore: false });
        await store.append(deltas.slice(15));
        const more = await store.changes({ after: rest.cursor });
        expect(more.entries.map((e) => e.delta)).toEqual(deltas.slice(20));
        expect((await store.counts()).lastSeq).toBe(more.cursor);
      });

      it('rejects a bad cursor or page size', async () => {
        const store = await fresh();
        await expectStorageError(store.changes({ after: -1 }), StorageErrorCode.InvalidInput);
        await expectStorageError(store.changes({ limit: 0 }), StorageErrorCode.InvalidInput);
        await expectStorageError(store.entities({ limit: 1.5 }), StorageErrorCode.InvalidInput);
      });
    });

    describe('entities and counts', () => {
      it('lists referenced entities by prefix and cursor, leaving negation targets out', async () => {
        const store = await fresh();
        const deltas = [
          startDelta(T).set('user:bob', { name: 'Bob' }).build(),
          startDelta(T).set('user:alice', { name: 'Alice' }).build(),
          startDelta(T).set('post:1', { title: 'Hi' }).build(),
          startDelta(T)
            .relate(
              { entity: 'user:alice', property: 'wrote' },
              { entity: 'post:2', property: 'author' },
            )
            .build(),
          startDelta(T).set('user:carol', { name: 'Carol' }).build(),
        ];
        await store.append(deltas);
        await store.append([
          startDelta(T + 1)
            .negate(deltas[0]!.id)
            .build(),
        ]);

        const all = await store.entities();
        expect(all).toEqual({
          entities: ['post:1', 'post:2', 'user:alice', 'user:bob', 'user:carol'],
          cursor: null,
        });
        const page1 = await store.entities({ prefix: 'user:', limit: 2 });
        expect(page1).toEqual({ entities: ['user:alice', 'user:bob'], cursor: 'user:bob' });
        const page2 = await store.entities({ prefix: 'user:', limit: 2, after: page1.cursor! });
        expect(page2).toEqual({ entities: ['user:carol'], cursor: null });
        expect(await store.entities({ prefix: 'nothing' })).toEqual({ entities: [], cursor: null });
        expect(await store.counts()).toEqual({
          deltas: 6,
          entities: 5,
          lastSeq: expect.any(Number),
          newestTime: T + 1,
        });
      });

      it('lists only the entities holding one of the given properties', async () => {
        const store = await fresh();
        await store.append([
          startDelta(T).set('user:bob', { name: 'Bob' }).build(),
          startDelta(T).set('user:alice', { age: 30 }).build(),
          startDelta(T).set('post:1', { title: 'Hi', name: 'first' }).build(),
          startDelta(T)
            .relate(
              { entity: 'user:alice', property: 'wrote' },
              { entity: 'post:2', property: 'author' },
            )
            .build(),
        ]);
        expect(await store.entities({ properties: ['name'] })).toEqual({
          entities: ['post:1', 'user:bob'],
          cursor: null,
        });
        expect(await store.entities({ properties: ['age', 'author'], limit: 1 })).toEqual({
          entities: ['post:2'],
          cursor: 'post:2',
        });
        expect(
          await store.entities({ properties: ['age', 'author'], after: 'post:2', prefix: 'user:' }),
        ).toEqual({ entities: ['user:alice'], cursor: null });
        expect(await store.entities({ properties: [] })).toEqual({ entities: [], cursor: null });
        await expect(
          store.entities({ properties: Array.from({ length: 257 }, (_, i) => `p${i}`) }),
        ).rejects.toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
      });

      it('keeps the newest timeCreated whatever order deltas arrive in', async () => {
        const store = await fresh();
        await store.append([
          startDelta(T + 50)
            .set('a', { x: 1 })
            .build(),
        ]);
        await store.append([
          startDelta(T + 10)
            .set('b', { x: 1 })
            .build(),
          startDelta(T + 90)
            .set('c', { x: 1 })
            .build(),
        ]);
        await store.append([
          startDelta(T + 20)
            .set('d', { x: 1 })
            .build(),
        ]);
        expect((await store.counts()).newestTime).toBe(T + 90);
      });

      it('counts an empty store as zero', async () => {
        const store = await fresh();
        expect(await store.counts()).toEqual({
          deltas: 0,
          entities: 0,
          lastSeq: 0,
          newestTime: 0,
        });
      });
    });

    describe('feed id', () => {
      it('is a non-empty id, the same on every call, and different for another store', async () => {
        const store = await fresh();
        const id = await store.feedId();
        expect(id).toMatch(/^.{8,}$/);
        await store.append(createSmallDeltas(3));
        expect(await store.feedId()).toBe(id);
        const other = await fresh();
        expect(await other.feedId()).not.toBe(id);
      });
    });

    describe('listIds', () => {
      it('lists held ids in code-unit order within [lower, upper), up to limit', async () => {
        const store = await fresh();
        const deltas = createSmallDeltas(40, { entities: 7 });
        await store.append(deltas.slice(0, 25));
        await store.append(deltas.slice(20));
        const sorted = deltas.map((d) => d.id).sort(compareCodeUnits);
        expect(await store.listIds()).toEqual(sorted);
        expect(await store.listIds({ limit: 5 })).toEqual(sorted.slice(0, 5));
        expect(await store.listIds({ lower: sorted[10]!, upper: sorted[20]! })).toEqual(
          sorted.slice(10, 20),
        );
        expect(await store.listIds({ lower: sorted[10]!, upper: sorted[20]!, limit: 3 })).toEqual(
          sorted.slice(10, 13),
        );
        expect(await store.listIds({ upper: sorted[3]! })).toEqual(sorted.slice(0, 3));
        expect(await store.listIds({ lower: sorted[37]! })).toEqual(sorted.slice(37));
        // Bounds need not be held ids: a bound between two ids splits the range there.
        expect(await store.listIds({ lower: `${sorted[4]!}~`, upper: `${sorted[6]!}` })).toEqual([
          sorted[5],
        ]);
        expect(await store.listIds({ lower: sorted[9]!, upper: sorted[9]! })).toEqual([]);
        expect(await store.listIds({ lower: sorted[9]!, upper: sorted[2]! })).toEqual([]);
        expect(await store.listIds({ lower: '￿' })).toEqual([]);

        // Paging: pass the last id as lower and drop it.
        const paged: string[] = [];
        let lower: string | undefined;
        for (;;) {
          const page = await store.listIds({ ...(lower === undefined ? {} : { lower }), limit: 7 });
          const newIds = lower === undefined ? page : page.slice(1);
          if (newIds.length === 0) break;
          paged.push(...newIds);
          lower = page.at(-1)!;
        }
        expect(paged).toEqual(sorted);
      });

      it('rejects a bad range or page size', async () => {
        const store = await fresh();
        await expectStorageError(store.listIds({ limit: 0 }), StorageErrorCode.InvalidInput);
        await expectStorageError(store.listIds({ limit: 2.5 }), StorageErrorCode.InvalidInput);
        await expectStorageError(
          store.listIds({ lower: 'a\u0000' }),
          StorageErrorCode.InvalidInput,
        );
        await expectStorageError(store.listIds({ upper: '\ud800' }), StorageErrorCode.InvalidInput);
        await expectStorageError(
          store.listIds({ lower: 7 } as unknown as { lower: string }),
          StorageErrorCode.InvalidInput,
        );
      });
    });

    describe('negationsOf', () => {
      it('finds the deltas that directly negate any of the ids, sorted, each once', async () => {
        const store = await fresh();
        const a = startDelta(T).set('alice', { name: 'Alice' }).build();
        const b = startDelta(T).set('bob', { name: 'Bob' }).build();
        const undoA = startDelta(T + 1)
          .negate(a.id)
          .build();
        const undoAgain = startDelta(T + 2, 'someone else')
          .negate(a.id)
          .build();
        const undoBoth = startDelta(T + 3)
          .negate(a.id)
          .negate(b.id)
          .build();
        const redo = startDelta(T + 4)
          .negate(undoA.id)
          .build();
        // Points at a's id, but as an entity, not as a negation.
        const lookalike = startDelta(T + 5)
          .set(a.id, { note: 'not a negation' })
          .build();
        await store.append([a, b, undoA, redo]);
        await store.append([undoAgain, undoBoth, lookalike]);

        const sorted = (...deltas: Delta[]) => deltas.map((d) => d.id).sort(compareCodeUnits);
        expect(await store.negationsOf([a.id])).toEqual(sorted(undoA, undoAgain, undoBoth));
        expect(await store.negationsOf([b.id])).toEqual(sorted(undoBoth));
        expect(await store.negationsOf([a.id, b.id, a.id])).toEqual(
          sorted(undoA, undoAgain, undoBoth),
        );
        expect(await store.negationsOf([undoA.id, 'unknown'])).toEqual([redo.id]);
        expect(await store.negationsOf([redo.id, lookalike.id])).toEqual([]);
        expect(await store.negationsOf([])).toEqual([]);
        await expectStorageError(
          store.negationsOf([1] as unknown as string[]),
          StorageErrorCode.InvalidInput,
        );
      });
    });

    describe('peer cursors', () => {
      it('saves, replaces and returns a cursor per peer, with or without a filter', async () => {
        const store = await fresh();
        expect(await store.getPeerCursor('peer-a')).toBeUndefined();
        await store.setPeerCursor('peer-a', { feedId: 'feed-1', seq: 42 });
        await store.setPeerCursor('peer-b', { feedId: 'feed-2', seq: 0, filter: '{"e":["x"]}' });
        expect(await store.getPeerCursor('peer-a')).toEqual({ feedId: 'feed-1', seq: 42 });
        expect(await store.getPeerCursor('peer-b')).toEqual({
          feedId: 'feed-2',
          seq: 0,
          filter: '{"e":["x"]}',
        });
        // Replacing drops what the new cursor leaves out.
        await store.setPeerCursor('peer-b', { feedId: 'feed-3', seq: 2 ** 40 });
        expect(await store.getPeerCursor('peer-b')).toEqual({ feedId: 'feed-3', seq: 2 ** 40 });
        await store.setPeerCursor('peer-a', { feedId: 'feed-1', seq: 7, filter: '' });
        expect(await store.getPeerCursor('peer-a')).toEqual({
          feedId: 'feed-1',
          seq: 7,
          filter: '',
        });
        expect(await store.getPeerCursor('peer-A')).toBeUndefined();
        expect(await store.counts()).toEqual({
          deltas: 0,
          entities: 0,
          lastSeq: 0,
          newestTime: 0,
        });
      });

      it('rejects a bad peer name or cursor and keeps the saved one', async () => {
        const store = await fresh();
        await store.setPeerCursor('p', { feedId: 'f', seq: 1 });
        const bad: unknown[] = [
          { feedId: 'f', seq: -1 },
          { feedId: 'f', seq: 1.5 },
          { feedId: '', seq: 1 },
          { feedId: 'f', seq: 1, filter: 3 },
          { feedId: 'f', seq: 1, extra: true },
          { feedId: 'f\u0000', seq: 1 },
          null,
        ];
        for (const cursor of bad) {
          await expectStorageError(
            store.setPeerCursor('p', cursor as never),
            StorageErrorCode.InvalidInput,
          );
        }
        for (const peer of ['', 'a\u0000b', 'x'.repeat(513), '\udc00']) {
          await expectStorageError(
            store.setPeerCursor(peer, { feedId: 'f', seq: 1 }),
            StorageErrorCode.InvalidInput,
          );
          await expectStorageError(store.getPeerCursor(peer), StorageErrorCode.InvalidInput);
        }
        expect(await store.getPeerCursor('p')).toEqual({ feedId: 'f', seq: 1 });
      });
    });

    describe('saved peers', () => {
      it('lists saved addresses oldest first, each once, and forgets them', async () => {
        const store = await fresh();
        expect(await store.savedPeers()).toEqual([]);
        // Saved in quick succession and in no sorted order: the list keeps the order of saving.
        const addresses = Array.from(
          { length: 12 },
          (_, k) => `ws://node-${(k * 5) % 12}:8080/sync`,
        );
        for (const address of addresses) expect(await store.savePeer(address)).toBe(true);
        expect(await store.savedPeers()).toEqual(addresses);

        // Saving again changes nothing, not even the position.
        expect(await store.savePeer(addresses[3]!)).toBe(false);
        expect(await store.savedPeers()).toEqual(addresses);
        // Exact strings: no case folding, no URL normalising.
        expect(await store.savePeer('WS://node-0:8080/sync')).toBe(true);
        expect(await store.savePeer('ws://node-0:8080/sync/')).toBe(true);

        expect(await store.forgetPeer(addresses[3]!)).toBe(true);
        expect(await store.forgetPeer(addresses[3]!)).toBe(false);
        expect(await store.forgetPeer('ws://never-saved')).toBe(false);
        // Saved again after being forgotten, it is the newest.
        expect(await store.savePeer(addresses[3]!)).toBe(true);
        expect(await store.savedPeers()).toEqual([
          ...addresses.filter((_, k) => k !== 3),
          'WS://node-0:8080/sync',
          'ws://node-0:8080/sync/',
          addresses[3],
        ]);

        // Saved peers are apart from peer cursors and deltas.
        expect(await store.getPeerCursor(addresses[0]!)).toBeUndefined();
        expect(await store.counts()).toMatchObject({ deltas: 0, entities: 0, lastSeq: 0 });
      });

      it('saves an address once when two saves of it race', async () => {
        const store = await fresh();
        const results = await Promise.all([
          store.savePeer('ws://a'),
          store.savePeer('ws://a'),
          store.savePeer('ws://b'),
        ]);
        expect(results.filter(Boolean)).toHaveLength(2);
        expect(results[2]).toBe(true);
        expect([...(await store.savedPeers())].sort(compareCodeUnits)).toEqual([
          'ws://a',
          'ws://b',
        ]);
        expect(await Promise.all([store.forgetPeer('ws://a'), store.forgetPeer('ws://a')])).toEqual(
          expect.arrayContaining([true, false]),
        );
        expect(await store.savedPeers()).toEqual(['ws://b']);
      });

      it('takes any text up to the limit, without parsing it', async () => {
        const store = await fresh();
        const accepted = [
          'x',
          'not a url at all',
          'x'.repeat(2048),
          // 2,048 bytes of UTF-8 either way: 682 three-byte characters and two ASCII, 512 emoji.
          `${'\u4e00'.repeat(682)}ab`,
          '\u{1f600}'.repeat(512),
        ];
        for (const address of accepted) expect(await store.savePeer(address)).toBe(true);
        expect(await store.savedPeers()).toEqual(accepted);
      });

      it('rejects a bad address with STORAGE_INVALID_INPUT and changes nothing', async () => {
        const store = await fresh();
        await store.savePeer('ws://kept');
        const bad: unknown[] = [
          '',
          'ws://a\u0000b',
          'x'.repeat(2049),
          // Within 2,048 characters but over 2,048 bytes of UTF-8.
          '\u4e00'.repeat(683),
          'ws://\udc00',
          42,
          null,
          undefined,
          ['ws://kept'],
        ];
        for (const address of bad) {
          await expectStorageError(store.savePeer(address as never), StorageErrorCode.InvalidInput);
          await expectStorageError(
            store.forgetPeer(address as never),
            StorageErrorCode.InvalidInput,
          );
        }
        expect(await store.savedPeers()).toEqual(['ws://kept']);
      });
    });

    describe('onAppend', () => {
      it('reports each committed append once, with exactly its new entries in seq order', async () => {
        const store = await fresh();
        const calls: StoredDelta[][] = [];
        const reads: Promise<string[]>[] = [];
        const unsubscribe = store.onAppend((entries) => {
          calls.push([...entries]);
          // Committed already: another reader sees the entries now.
          reads.push(
            store
              .changes({ after: entries[0]!.seq - 1, limit: entries.length })
              .then((page) => page.entries.map((e) => e.delta.id)),
          );
        });
        const deltas = createSmallDeltas(12, { entities: 4 });
        const first = store.append(deltas.slice(0, 5));
        await first;
        expect(calls).toHaveLength(1);
        await store.append(deltas.slice(3, 9));
        await store.append(deltas.slice(0, 9)); // all duplicates: no call
        await expectStorageError(
          store.append([deltas[9], { ...deltas[10]!, creator: 'mallory' }]),
          StorageErrorCode.InvalidInput,
        );
        await store.append([]);
        expect(calls).toHaveLength(2);
        expect(calls[1]!.map((e) => e.delta)).toEqual(deltas.slice(5, 9));

        const feed = await readAllChanges(store);
        expect(calls.flat()).toEqual(feed);
        expect(await Promise.all(reads)).toEqual(calls.map((call) => call.map((e) => e.delta.id)));

        unsubscribe();
        await store.append(deltas.slice(9));
        expect(calls).toHaveLength(2);
      });

      it('reports concurrent appends in seq order with no gaps, to every listener', async () => {
        const store = await fresh();
        const seen: StoredDelta[][] = [[], []];
        const calls = [0, 0];
        for (const k of [0, 1])
          store.onAppend((entries) => {
            calls[k]!++;
            seen[k]!.push(...entries);
          });
        const deltas = createSmallDeltas(400, { entities: 40 });
        const batches = [0, 1, 2, 3, 4].map((k) => deltas.slice(k * 70, k * 70 + 120));
        await Promise.all(batches.map((batch) => store.append(batch)));
        const feed = await readAllChanges(store);
        expect(feed).toHaveLength(400);
        expect(seen[0]).toEqual(feed);
        expect(seen[1]).toEqual(feed);
        expect(calls[0]).toBeLessThanOrEqual(5);
      });

      it('keeps calling the other listeners, and fails no append, when one throws', async () => {
        const store = await fresh();
        // The listener's error is rethrown as an uncaught exception; catch it here, not in the
        // test runner's own handler (which would fail the run).
        const thrown: unknown[] = [];
        const runnerHandlers = process.listeners('uncaughtException');
        process.removeAllListeners('uncaughtException');
        process.on('uncaughtException', (error) => void thrown.push(error));
        try {
          store.onAppend(() => {
            throw new Error('listener bug');
          });
          const heard: number[] = [];
          store.onAppend((entries) => void heard.push(entries.length));
          expect((await store.append(createSmallDeltas(2))).inserted).toHaveLength(2);
          expect(heard).toEqual([2]);
          await new Promise((resolve) => setTimeout(resolve, 10));
          expect(thrown).toEqual([new Error('listener bug')]);
        } finally {
          process.removeAllListeners('uncaughtException');
          for (const handler of runnerHandlers) process.on('uncaughtException', handler);
        }
      });
    });

    describe('close', () => {
      it('refuses every call after close with STORAGE_CLOSED, and closing twice is fine', async () => {
        const store = await fresh();
        await store.close();
        await store.close();
        await expectStorageError(store.append([]), StorageErrorCode.Closed);
        await expectStorageError(store.get([]), StorageErrorCode.Closed);
        await expectStorageError(store.hyperview('x'), StorageErrorCode.Closed);
        await expectStorageError(store.closure(['x']), StorageErrorCode.Closed);
        await expectStorageError(store.changes(), StorageErrorCode.Closed);
        await expectStorageError(store.entities(), StorageErrorCode.Closed);
        await expectStorageError(store.counts(), StorageErrorCode.Closed);
        await expectStorageError(store.feedId(), StorageErrorCode.Closed);
        await expectStorageError(store.listIds(), StorageErrorCode.Closed);
        await expectStorageError(store.negationsOf([]), StorageErrorCode.Closed);
        await expectStorageError(store.getPeerCursor('p'), StorageErrorCode.Closed);
        await expectStorageError(
          store.setPeerCursor('p', { feedId: 'f', seq: 1 }),
          StorageErrorCode.Closed,
        );
        await expectStorageError(store.savedPeers(), StorageErrorCode.Closed);
        await expectStorageError(store.savePeer('ws://a'), StorageErrorCode.Closed);
        await expectStorageError(store.forgetPeer('ws://a'), StorageErrorCode.Closed);
      });
    });

    if (createRestartable !== false)
      describe('restart', () => {
        const setupRestartable = async (): Promise<
          StoreUnderTest & { reopen: () => Promise<DeltaStore> }
        > => {
          const subject = await track(createRestartable);
          if (subject.reopen === undefined)
            throw new Error(`${name}: the restartable store has no reopen()`);
          return subject as StoreUnderTest & { reopen: () => Promise<DeltaStore> };
        };

        it('keeps everything ingested across close and reopen, and keeps counting sequence numbers up', async () => {
          const subject = await setupRestartable();
          const deltas = createSmallDeltas(60, { entities: 6 });
          await subject.store.append(deltas.slice(0, 40));
          const before = await readAllChanges(subject.store);
          const countsBefore = await subject.store.counts();
          await subject.store.close();

          const reopened = await subject.reopen();
          open.push(reopened);
          expect(await readAllChanges(reopened)).toEqual(before);
          expect(await reopened.counts()).toEqual(countsBefore);
          expect((await reopened.append(deltas.slice(30))).inserted).toEqual(
            deltas.slice(40).map((d) => d.id),
          );
          const after = await readAllChanges(reopened);
          expect(after.map((e) => e.delta)).toEqual(deltas);
          expect(after[40]!.seq).toBeGreaterThan(countsBefore.lastSeq);
        });

        it('keeps the feed id and the peer cursors across close and reopen', async () => {
          const subject = await setupRestartable();
          await subject.store.append(createSmallDeltas(5));
          const feedId = await subject.store.feedId();
          await subject.store.setPeerCursor('peer-a', { feedId: 'theirs', seq: 17, filter: 'k' });
          await subject.store.setPeerCursor('peer-b', { feedId: 'other', seq: 3 });
          await subject.store.close();

          const reopened = await subject.reopen();
          open.push(reopened);
          expect(await reopened.feedId()).toBe(feedId);
          expect(await reopened.getPeerCursor('peer-a')).toEqual({
            feedId: 'theirs',
            seq: 17,
            filter: 'k',
          });
          expect(await reopened.getPeerCursor('peer-b')).toEqual({ feedId: 'other', seq: 3 });

          // Fresh data (another directory or schema) is another feed.
          const other = await setupRestartable();
          expect(await other.store.feedId()).not.toBe(feedId);
          expect(await other.store.getPeerCursor('peer-a')).toBeUndefined();
        });

        it('keeps the saved peers, in the order saved, across close and reopen', async () => {
          const subject = await setupRestartable();
          for (const address of ['ws://c', 'ws://a', 'ws://b', 'ws://d'])
            await subject.store.savePeer(address);
          await subject.store.forgetPeer('ws://b');
          await subject.store.close();

          const reopened = await subject.reopen();
          open.push(reopened);
          expect(await reopened.savedPeers()).toEqual(['ws://c', 'ws://a', 'ws://d']);
          expect(await reopened.savePeer('ws://a')).toBe(false);
          // Saved after the restart, it still comes after every peer saved before it.
          expect(await reopened.savePeer('ws://b')).toBe(true);
          expect(await reopened.savedPeers()).toEqual(['ws://c', 'ws://a', 'ws://d', 'ws://b']);

          // Fresh data (another directory or schema) has none.
          const other = await setupRestartable();
          expect(await other.store.savedPeers()).toEqual([]);
        });

        it('lets a node rebuild its view state from storage after a restart', async () => {
          const subject = await setupRestartable();
          const deltas = [
            ...createSmallDeltas(30, { entities: 3 }),
            startDelta(T + 100)
              .set('entity-0', { value: 'last' })
              .build(),
          ];
          await subject.store.append(deltas);
          const live = buildLatestValues(deltas);
          await subject.store.close();

          const reopened = await subject.reopen();
          open.push(reopened);
          const rebuilt: Delta[] = [];
          const checkpoint = await replayStore(
            reopened,
            (entries) => void rebuilt.push(...entries.map((e) => e.delta)),
            {
              pageSize: 7,
            },
          );
          expect(checkpoint).toBe((await reopened.counts()).lastSeq);
          expect(buildLatestValues(rebuilt)).toEqual(live);
          expect(live.get('entity-0')).toBe('last');
        });
      });
  });
}

/** A toy view: the latest `value` of every entity, by delta order. Enough to compare rebuilds. */
function buildLatestValues(deltas: readonly Delta[]): Map<string, unknown> {
  const latest = new Map<string, { delta: Delta; value: unknown }>();
  for (const delta of deltas) {
    const value = delta.pointers.find((p) => p.localContext === 'value')?.target;
    for (const pointer of delta.pointers) {
      if (
        pointer.localContext !== 'entity' ||
        typeof pointer.target !== 'object' ||
        pointer.target === null
      )
        continue;
      const current = latest.get(pointer.target.id);
      if (current === undefined || compareDeltas(current.delta, delta) < 0)
        latest.set(pointer.target.id, { delta, value });
    }
  }
  return new Map(
    [...latest].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, { value }]) => [id, value] as const),
  );
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
