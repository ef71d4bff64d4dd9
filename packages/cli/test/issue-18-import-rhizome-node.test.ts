import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startServerProcess,
  stopServerProcess,
  type ServerProcess,
} from '../../../apps/server/test/helpers.ts';
import { BIN, parseError, runCli } from './helpers.ts';
import {
  legacyDelta,
  legacyNegation,
  legacySet,
  writeLegacyStore,
  type LegacyDelta,
} from './rhizome-node-layout.ts';

// Issue 18 item 6: `rhizome import --from rhizome-node <dir>` against a real node process, from
// LevelDB stores this test writes in rhizome-node's layout.

const ADMIN = 'admin-token-0123456789';
const WRITER = 'writer-token-0123456789';
const TOKENS = `${ADMIN}=root:admin,${WRITER}=lentil:read+write`;

let dir: string;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rhizome-import-rhizome-node-'));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => stopServerProcess(server)));
  await rm(dir, { recursive: true, force: true });
});

async function startNode(name: string): Promise<ServerProcess> {
  const server = await startServerProcess(name, {
    RHIZOME_DATA_DIR: join(dir, `${name}-data`),
    RHIZOME_TOKENS: TOKENS,
  });
  servers.push(server);
  return server;
}

// Three node processes, started together: one per test that counts every delta, and one for
// the tests that store nothing or little (in the order they run).
let nodes: Record<'main' | 'resume' | 'checks', ServerProcess>;
beforeAll(async () => {
  const [main, resume, checks] = await Promise.all(
    ['legacy-import', 'legacy-resume', 'legacy-checks'].map(startNode),
  );
  nodes = { main: main!, resume: resume!, checks: checks! };
}, 180_000);

const asAdmin = { RHIZOME_TOKEN: ADMIN };
const importStore = (node: ServerProcess, store: string, ...more: string[]) =>
  runCli(['import', '--from', 'rhizome-node', store, '--json', ...more], {
    url: node.url,
    env: asAdmin,
  });

interface V1Delta {
  id: string;
  timeCreated: number;
  creator: string;
  pointers: { localContext: string; target: unknown; targetContext?: string }[];
}

/** Every delta the node stores, read page by page from its feed. */
async function exportAll(node: ServerProcess): Promise<V1Delta[]> {
  const deltas: V1Delta[] = [];
  let after: string | undefined;
  for (;;) {
    const query = after === undefined ? '' : `&after=${after}`;
    const response = await fetch(`${node.url}/api/deltas?limit=1000${query}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { deltas: V1Delta[]; cursor: string; hasMore: boolean };
    deltas.push(...page.deltas);
    if (!page.hasMore) return deltas;
    after = page.cursor;
  }
}

/** The entity's view over REST; undefined when no delta of it counts (404). */
async function view(
  node: ServerProcess,
  entity: string,
): Promise<Record<string, unknown> | undefined> {
  const response = await fetch(`${node.url}/api/entities/${entity}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  if (response.status === 404) return undefined;
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** A small history with every shape rhizome-node writes. */
function history() {
  const ada = legacySet('lentil', 'ada', 'name', 'Ada');
  const adaLovelace = legacySet('lentil', 'ada', 'name', 'Ada Lovelace');
  const born = legacySet('lentil', 'ada', 'born', 1815, { label: 'person' });
  // A moderator withdraws the later name: the view falls back to the earlier one.
  const withdrawn = legacyNegation('moderator', adaLovelace);
  // A negation that is itself negated: the city stays.
  const city = legacySet('lentil', 'bob', 'city', 'Paris');
  const negated = legacyNegation('lentil', city);
  const reinstated = legacyNegation('lentil', negated);
  // A collection put: a transaction of two deltas, recorded with the peer they came from.
  const from = { addr: 'localhost', port: 4000 };
  const declaration = legacyDelta(
    'lentil',
    [
      { localContext: '_transaction', target: 'transaction-1', targetContext: 'size' },
      { localContext: 'size', target: 2 },
    ],
    { receivedFrom: from },
  );
  const member = (property: string, value: string) =>
    legacyDelta(
      'lentil',
      [
        { localContext: '_transaction', target: 'transaction-1', targetContext: 'deltas' },
        { localContext: 'users', target: 'carol', targetContext: property },
        { localContext: property, target: value },
      ],
      { receivedFrom: from },
    );
  // Some rhizome-node tests built deltas with Date.now() (milliseconds).
  const milliseconds = legacySet('lentil', 'dave', 'seen', true, {
    timeCreated: 1_700_000_000_123,
  });
  const deltas: LegacyDelta[] = [
    ada,
    adaLovelace,
    born,
    withdrawn,
    city,
    negated,
    reinstated,
    declaration,
    member('name', 'Carol'),
    member('role', 'admin'),
    milliseconds,
  ];
  return { deltas, ada, adaLovelace, withdrawn, city, negated, reinstated, milliseconds };
}

// Spawned CLIs and node processes: generous on a loaded machine.
describe('rhizome import --from rhizome-node', { timeout: 180_000 }, () => {
  it('imports a rhizome-node store through the write path: views, negations re-pointed, timestamps in ms', async () => {
    const h = history();
    const store = join(dir, 'store');
    await writeLegacyStore(store, h.deltas);
    const node = nodes.main;

    // The normal write path: a writer token may not store other creators' deltas.
    const asWriter = await runCli(['import', '--from', 'rhizome-node', store, '--json'], {
      url: node.url,
      env: { RHIZOME_TOKEN: WRITER },
    });
    expect(asWriter.code).not.toBe(0);
    expect(parseError(asWriter).code).toBe('CREATOR_MISMATCH');
    expect(await exportAll(node)).toHaveLength(0);

    const result = await importStore(node, store, '--restart', '--batch-size', '4');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      deltas: 11,
      stored: 11,
      duplicate: 0,
      skipped: 0,
      dropped: 0,
      batches: 3,
    });
    await expect(access(`${store}.checkpoint`)).rejects.toThrow();

    expect(await view(node, 'ada')).toMatchObject({ id: 'ada', name: 'Ada', born: 1815 });
    expect(await view(node, 'bob')).toMatchObject({ id: 'bob', city: 'Paris' });
    expect(await view(node, 'carol')).toMatchObject({ id: 'carol', name: 'Carol', role: 'admin' });
    expect(await view(node, 'dave')).toMatchObject({ id: 'dave', seen: true });

    const stored = await exportAll(node);
    expect(stored).toHaveLength(11);
    const byValue = (property: string, value: unknown) =>
      stored.find((d) => d.pointers.some((p) => p.localContext === property && p.target === value));
    const negationOf = (id: string | undefined) =>
      stored.find((d) =>
        d.pointers.some(
          (p) => p.localContext === 'negates' && (p.target as { id?: string }).id === id,
        ),
      );
    const lovelace = byValue('name', 'Ada Lovelace');
    const withdrawal = negationOf(lovelace?.id);
    expect(withdrawal).toMatchObject({
      creator: 'moderator',
      timeCreated: Math.floor(h.withdrawn.timeCreated / 1000),
    });
    const paris = byValue('city', 'Paris');
    const reinstatement = negationOf(negationOf(paris?.id)?.id);
    expect(reinstatement?.timeCreated).toBe(Math.floor(h.reinstated.timeCreated / 1000));
    // Microseconds became milliseconds; a millisecond timestamp stayed as it was.
    expect(lovelace?.timeCreated).toBe(Math.floor(h.adaLovelace.timeCreated / 1000));
    expect(byValue('seen', true)?.timeCreated).toBe(1_700_000_000_123);
    // No old uuid survives as a delta id or a negation target.
    const oldIds = new Set(h.deltas.map((d) => d.id));
    for (const delta of stored) {
      expect(oldIds.has(delta.id)).toBe(false);
      for (const pointer of delta.pointers) {
        expect(oldIds.has((pointer.target as { id?: string } | null)?.id ?? '')).toBe(false);
      }
    }

    // Ids are content hashes: importing again stores nothing new.
    const again = await importStore(node, store);
    expect(JSON.parse(again.stdout)).toMatchObject({ stored: 0, duplicate: 11 });
  });

  it('resumes after the import was killed mid-way, and ends with every delta once', async () => {
    const store = join(dir, 'big-store');
    const deltas: LegacyDelta[] = [];
    for (let i = 0; i < 300; i += 1) {
      const set = legacySet('lentil', `e${i % 50}`, 'n', i);
      deltas.push(set);
      if (i % 10 === 0) deltas.push(legacyNegation('lentil', set));
    }
    await writeLegacyStore(store, deltas);
    const node = nodes.resume;
    const checkpoint = `${store}.checkpoint`;

    const child = spawn(
      process.execPath,
      [BIN, 'import', '--from', 'rhizome-node', store, '--batch-size', '5', '--json'],
      { env: { ...process.env, RHIZOME_URL: node.url, RHIZOME_TOKEN: ADMIN }, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Killed as soon as some batches are acknowledged: no chance to clean up.
    for (;;) {
      const saved = await readFile(checkpoint, 'utf8').catch(() => undefined);
      if (saved !== undefined && (JSON.parse(saved) as { count: number }).count >= 30) break;
      if (child.exitCode !== null) throw new Error('the import finished before it could be killed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    await exited;
    const saved = JSON.parse(await readFile(checkpoint, 'utf8')) as { count: number; key: string };
    expect(saved.count).toBeLessThan(deltas.length);
    const before = (await exportAll(node)).length;
    expect(before).toBeGreaterThanOrEqual(saved.count);
    expect(before).toBeLessThan(deltas.length);

    const resumed = await importStore(node, store);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout) as Record<string, number>;
    expect(summary).toMatchObject({ deltas: deltas.length, skipped: saved.count });
    // A batch acknowledged after the last checkpoint write comes back as duplicate, nothing more.
    expect(summary.stored! + summary.duplicate!).toBe(deltas.length - saved.count);
    expect(summary.duplicate).toBeLessThanOrEqual(5);
    await expect(access(checkpoint)).rejects.toThrow();

    const all = await exportAll(node);
    expect(all).toHaveLength(deltas.length);
    // Every delta of e0 (i = 0, 50, ..., 250) is negated, so e0 has no view at all.
    expect(await view(node, 'e0')).toBeUndefined();
    expect(await view(node, 'e7')).toMatchObject({ n: 257 });

    // A checkpoint that no longer fits the store is refused rather than trusted.
    await writeFile(
      checkpoint,
      JSON.stringify({
        ...saved,
        version: 1,
        from: 'rhizome-node',
        dir: store,
        url: node.url,
        count: saved.count + 1,
        valueHash: 'x',
      }),
    );
    const stale = await importStore(node, store);
    expect(stale.code).toBe(2);
    expect(parseError(stale).code).toBe('CHECKPOINT_STALE');
  });

  it('refuses what is not a readable rhizome-node store with a typed code, writing nothing', async () => {
    const node = nodes.checks;
    const missing = join(dir, 'missing');
    const plain = join(dir, 'plain');
    await mkdir(plain);
    await writeFile(join(plain, 'notes.txt'), 'not a database\n');
    const [noDir, notLevel, badFrom] = await Promise.all([
      importStore(node, missing),
      importStore(node, plain),
      runCli(['import', '--from', 'mongodb', plain, '--json'], { url: node.url }),
    ]);
    expect(noDir.code).toBe(2);
    expect(parseError(noDir).code).toBe('STORE_UNREADABLE');
    await expect(access(missing)).rejects.toThrow();
    expect(notLevel.code).toBe(2);
    expect(parseError(notLevel)).toMatchObject({
      code: 'STORE_UNREADABLE',
      details: { dir: plain },
    });
    expect(await readdir(plain)).toEqual(['notes.txt']);
    expect(parseError(badFrom).code).toBe('USAGE_INVALID');

    // A store another process holds open (a running rhizome-node).
    const locked = join(dir, 'locked');
    await writeLegacyStore(locked, [legacySet('lentil', 'x', 'y', 1)]);
    const db = new ClassicLevel(locked);
    await db.open();
    try {
      const result = await importStore(node, locked);
      expect(parseError(result).code).toBe('STORE_UNREADABLE');
      expect(parseError(result).message).toContain('locked');
    } finally {
      await db.close();
    }
    expect(await exportAll(node)).toHaveLength(0);
  });

  it('stops at a corrupt value before anything is stored, naming the key', async () => {
    const node = nodes.checks;
    const good = [legacySet('lentil', 'a', 'n', 1), legacySet('lentil', 'b', 'n', 2)];
    const corrupt = join(dir, 'corrupt');
    // Sorted after the good ones (a uuid starts with a hex digit): they are checked, not stored.
    await writeLegacyStore(corrupt, good, [['delta:zz', '{"id":"zz","pointers":']]);
    const result = await importStore(node, corrupt);
    expect(result.code).toBe(2);
    expect(parseError(result)).toMatchObject({
      code: 'LEGACY_IMPORT_INVALID',
      details: { key: 'delta:zz' },
    });
    expect(await exportAll(node)).toHaveLength(0);
    await expect(access(`${corrupt}.checkpoint`)).rejects.toThrow();

    const wrongShape = join(dir, 'wrong-shape');
    const bad = { ...legacySet('lentil', 'c', 'n', 3), pointers: 'nope' };
    await writeLegacyStore(wrongShape, [...good, bad as unknown as LegacyDelta]);
    const shaped = await importStore(node, wrongShape);
    expect(parseError(shaped)).toMatchObject({
      code: 'LEGACY_IMPORT_INVALID',
      details: { key: `delta:${bad.id}`, path: ['pointers'] },
    });
    expect(await exportAll(node)).toHaveLength(0);
  });

  it('handles a negation of a delta the store lacks as asked', async () => {
    const node = nodes.checks;
    const lost = legacySet('lentil', 'z', 'n', 1);
    const kept = legacySet('lentil', 'z', 'm', 2);
    const dangling = join(dir, 'dangling');
    await writeLegacyStore(dangling, [kept, legacyNegation('lentil', lost)]);

    const refused = await importStore(node, dangling);
    expect(parseError(refused).code).toBe('LEGACY_IMPORT_INVALID');
    expect(parseError(refused).message).toContain(lost.id);
    expect(await exportAll(node)).toHaveLength(0);

    const skipped = await importStore(node, dangling, '--dangling-negations', 'skip');
    expect(JSON.parse(skipped.stdout)).toMatchObject({ stored: 1, dropped: 1 });
    const kept2 = await importStore(node, dangling, '--dangling-negations', 'keep');
    expect(JSON.parse(kept2.stdout)).toMatchObject({ stored: 1, duplicate: 1, dropped: 0 });
    const negation = (await exportAll(node)).find((d) => d.pointers[0]?.localContext === 'negates');
    expect(negation?.pointers[0]?.target).toEqual({ id: lost.id });
  });
});
