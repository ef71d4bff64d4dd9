import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Delta } from '@rhizome/core';
import type { DeltaStore, StoredDelta } from '@rhizome/storage';
import {
  createSyncNode,
  createSyncStoreFromDeltaStore,
  type DeltaStoreSyncStore,
  type SyncNode,
} from '@rhizome/sync';
import { dialSyncSocket, listenSyncSocket, type ListeningSyncSocket } from '@rhizome/sync/ws';
import { createSmallDeltas } from '@rhizome/testkit';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.ts';
import { openPgliteStore, type PgliteTemplate } from '../src/pglite.ts';
import { loadPgliteTemplate } from './support/pglite.ts';
import {
  TEST_DATABASE_URL,
  assertTestDatabaseReachable,
  describeBackends,
  createTestSchemaName,
  dropSchemas,
} from './support/postgres.ts';

/**
 * Two sync nodes, each on its own SQL store, over a real WebSocket. One is closed and reopened
 * from its data; it must resume from the cursor it persisted, pulling only what is new.
 */

/** Opens a store on data that outlives the store object: a PGlite directory or a schema. */
type OpenDurable = () => Promise<DeltaStore>;

let template: PgliteTemplate;
const dirs: string[] = [];
const schemas: string[] = [];

beforeAll(async () => {
  template = await loadPgliteTemplate();
  await assertTestDatabaseReachable();
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  await dropSchemas(schemas);
});

const backends: Record<string, () => Promise<OpenDurable>> = {
  'PGlite on disk': async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rhizome-sync-resume-'));
    dirs.push(dataDir);
    await template.seed(dataDir);
    return () => openPgliteStore({ dataDir });
  },
  'PostgreSQL (postgres-js)': async () => {
    const schema = createTestSchemaName();
    schemas.push(schema);
    return () => openPostgresStore({ url: TEST_DATABASE_URL, schema, max: 4 });
  },
};

interface RunningNode {
  readonly store: DeltaStore;
  readonly node: SyncNode;
  readonly adapter: DeltaStoreSyncStore;
  /** Every entry the store reported through onAppend since the node started. */
  readonly appended: StoredDelta[];
  close(): Promise<void>;
}

async function startNode(nodeId: string, open: OpenDurable): Promise<RunningNode> {
  const store = await open();
  const appended: StoredDelta[] = [];
  store.onAppend((entries) => void appended.push(...entries));
  const adapter = createSyncStoreFromDeltaStore(store);
  const node = createSyncNode({ nodeId, store: adapter });
  return {
    store,
    node,
    adapter,
    appended,
    async close() {
      node.close();
      adapter.stop();
      await store.close();
    },
  };
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sortedIds = (deltas: readonly Delta[]) => deltas.map((d) => d.id).sort();

async function listAll(store: DeltaStore): Promise<string[]> {
  const ids: string[] = [];
  let page = await store.listIds({ limit: 50_000 });
  ids.push(...page);
  while (page.length === 50_000) {
    page = await store.listIds({ lower: page.at(-1)!, limit: 50_000 });
    ids.push(...page.slice(1));
  }
  return ids;
}

describeBackends(
  Object.keys(backends).map((name): [string] => [name]),
  'sync between two nodes on %s',
  (backend) => {
    const running: RunningNode[] = [];
    let listening: ListeningSyncSocket | undefined;
    afterEach(async () => {
      await listening?.close();
      listening = undefined;
      for (const node of running.splice(0)) await node.close().catch(() => {});
    });

    it('resumes from the persisted cursor after a restart, pulling only the new deltas', async () => {
      const openA = await backends[backend]!();
      const openB = await backends[backend]!();
      const all = createSmallDeltas(530, { entities: 60 });
      const onlyA = all.slice(0, 250);
      const shared = all.slice(250, 300);
      const onlyB = all.slice(300, 450);
      const later = all.slice(450);

      const a = await startNode('a', openA);
      running.push(a);
      await a.store.append([...onlyA, ...shared]);
      let b = await startNode('b', openB);
      running.push(b);
      await b.store.append([...onlyB, ...shared]);
      b.appended.length = 0; // count only what sync brings
      const feedB = await b.store.feedId();

      listening = await listenSyncSocket({ node: a.node });
      const url = `ws://127.0.0.1:${listening.port}`;
      const first = await dialSyncSocket({ node: b.node, url });
      const expected = sortedIds(all.slice(0, 450));
      await waitFor(
        async () =>
          (await a.store.counts()).deltas === 450 && (await b.store.counts()).deltas === 450,
        'the first convergence',
      );
      expect(await listAll(a.store)).toEqual(expected);
      expect(await listAll(b.store)).toEqual(expected);
      // The first meeting had no cursor: the nodes reconciled and exchanged only what differed.
      expect(first.snapshot().stats).toMatchObject({ deltasReceived: 250, deltasStored: 250 });
      expect(b.appended.map((e) => e.delta.id).sort()).toEqual(sortedIds(onlyA));
      const headA = (await a.store.counts()).lastSeq;
      await waitFor(
        async () => (await b.store.getPeerCursor('a'))?.seq === headA,
        "b's cursor into a's feed",
      );
      const cursor = await b.store.getPeerCursor('a');
      expect(cursor).toMatchObject({ feedId: await a.store.feedId(), seq: headA });

      // b goes down; a takes more writes meanwhile.
      await waitFor(async () => a.node.peers().length === 1, 'a to see b');
      running.splice(running.indexOf(b), 1);
      await b.close();
      await waitFor(
        async () => a.node.sessions().every((s) => s.snapshot().state === 'closed'),
        'a to see b go',
      );
      await a.store.append(later);

      // b comes back from the same data: same feed, same cursor, and it pulls from there.
      b = await startNode('b', openB);
      running.push(b);
      expect(await b.store.feedId()).toBe(feedB);
      expect(await b.store.getPeerCursor('a')).toEqual(cursor);
      const second = await dialSyncSocket({ node: b.node, url });
      await waitFor(async () => (await b.store.counts()).deltas === 530, 'b to catch up');
      expect(await listAll(b.store)).toEqual(sortedIds(all));

      // Exactly the 80 new deltas arrived, once each, and no reconciliation ran on either side.
      expect(b.appended.map((e) => e.delta.id).sort()).toEqual(sortedIds(later));
      expect(second.snapshot().stats).toMatchObject({
        deltasReceived: later.length,
        deltasStored: later.length,
        reconciliations: 0,
      });
      // a stores nothing new. It may be offered its own 250 deltas once more: b forgot, with its
      // restart, which peer they came from (origins live in memory), and a's cursor into b's feed
      // may stop short of them when b went down.
      const atA = a.node.sessions().find((s) => s.snapshot().state !== 'closed');
      expect(atA?.snapshot().stats).toMatchObject({ deltasStored: 0, reconciliations: 0 });
      expect(atA!.snapshot().stats.deltasReceived).toBeLessThanOrEqual(onlyA.length);
      await waitFor(
        async () => (await b.store.getPeerCursor('a'))?.seq === (await a.store.counts()).lastSeq,
        "b's cursor to reach a's new head",
      );
    });
  },
);
