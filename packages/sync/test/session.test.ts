import { describe, expect, it } from 'vitest';
import type { Delta } from '@rhizome/core';
import { encodeBatch } from '../src/codec.ts';
import { PROTOCOL_VERSION } from '../src/messages.ts';
import { createMemorySyncStore } from '../src/memory-store.ts';
import type { AppendOptions } from '../src/store.ts';
import type { SyncNode } from '../src/node.ts';
import { countUtf8Bytes } from '../src/utf8.ts';
import { generateDeltas } from './fixtures.ts';
import { createHarness, createRawPeer, idsOf } from './harness.ts';

describe('session: catch-up and live push', () => {
  it('pulls in both directions, then pushes live writes', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    const b = node('b');
    await a.store.appendBatch(generateDeltas(2000, 1, 'a'));
    await b.store.appendBatch(generateDeltas(300, 2, 'b'));
    network.link(a, b);
    expect(await scheduler.runUntil(() => a.store.size === 2300 && b.store.size === 2300, 5_000)).toBe(true);

    await a.store.appendBatch(generateDeltas(5, 3, 'a-live'));
    await b.store.appendBatch(generateDeltas(7, 4, 'b-live'));
    expect(await scheduler.runUntil(() => a.store.size === 2312 && b.store.size === 2312, 1_000)).toBe(true);
    expect(idsOf(a.store)).toEqual(idsOf(b.store));
    expect([...a.peers(), ...b.peers()].map((peer) => peer.lag)).toEqual([0, 0]);
    // Neither side ever receives a delta it already had: no echo, no re-download. (Both held
    // data and no cursor, so one reconciliation settled the start.)
    for (const peer of [...a.peers(), ...b.peers()]) {
      expect(peer.stats.deltasReceived).toBe(peer.stats.deltasStored);
      expect(peer.stats.reconciliations).toBe(1);
    }
  });

  it('relays across hops (a–b–c) without echoing a delta back to where it came from', async () => {
    const { scheduler, network, node } = createHarness();
    const [a, b, c] = [node('a'), node('b'), node('c')];
    network.link(a, b);
    network.link(b, c);
    await scheduler.advance(50);
    await a.store.appendBatch(generateDeltas(40, 5, 'a'));
    await c.store.appendBatch(generateDeltas(30, 6, 'c'));
    await scheduler.advance(10);
    await a.store.appendBatch(generateDeltas(20, 7, 'a2'));
    expect(await scheduler.runUntil(() => [a, b, c].every((n) => n.store.size === 90), 2_000)).toBe(true);
    expect(idsOf(a.store)).toEqual(idsOf(c.store));
    for (const n of [a, b, c]) {
      for (const peer of n.peers()) expect(peer.stats.deltasReceived).toBe(peer.stats.deltasStored);
    }
    const [aToB] = a.peers();
    expect(aToB!.stats.deltasReceived).toBe(30);
  });

  it('resumes from the persisted cursor after a restart and re-downloads nothing', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    let b = node('b');
    await a.store.appendBatch(generateDeltas(1000, 8));
    const link = network.link(b, a);
    expect(await scheduler.runUntil(() => b.store.size === 1000, 3_000)).toBe(true);
    await scheduler.advance(50);
    expect(await b.store.getCursor('a')).toEqual({ feedId: 'feed-a', seq: 1000 });

    link.stop();
    b.close();
    await a.store.appendBatch(generateDeltas(100, 9, 'later'));
    await scheduler.advance(100);

    b = node('b', { store: b.store });
    network.link(b, a);
    expect(await scheduler.runUntil(() => b.store.size === 1100, 3_000)).toBe(true);
    const [fromA] = b.peers();
    expect(fromA!.stats.deltasReceived).toBe(100);
    expect(fromA!.stats.reconciliations).toBe(0);
  });

  it('gives a cursor even into a feed made only of the puller\'s own deltas, so a restart needs no reconciliation', async () => {
    const { scheduler, network, node } = createHarness();
    let a = node('a');
    const b = node('b');
    await a.store.appendBatch(generateDeltas(300, 30));
    const link = network.link(a, b);
    expect(await scheduler.runUntil(() => b.store.size === 300, 2_000)).toBe(true);
    await a.store.appendBatch(generateDeltas(5, 31, 'live'));
    await scheduler.advance(1_500);
    // b's feed holds nothing but a's deltas; the idle update still moved a's cursor to its end.
    expect(await a.store.getCursor('b')).toEqual({ feedId: 'feed-b', seq: 305 });

    link.stop();
    a.close();
    a = node('a', { store: a.store });
    network.link(a, b);
    await scheduler.advance(200);
    expect(a.peers()[0]).toMatchObject({ state: 'open', pull: 'streaming', stats: { reconciliations: 0 } });
  });

  it('reconciles a node that lost its cursor with bytes that scale with the difference', async () => {
    const { scheduler, network, node } = createHarness();
    const shared = generateDeltas(20_000, 10, 'shared');
    const a = node('a');
    const b = node('b');
    await a.store.appendBatch([...shared, ...generateDeltas(100, 11, 'only-a')]);
    await b.store.appendBatch([...shared, ...generateDeltas(100, 12, 'only-b')]);
    network.link(a, b);
    expect(await scheduler.runUntil(() => a.store.size === 20_200 && b.store.size === 20_200, 10_000)).toBe(true);
    expect(idsOf(a.store)).toEqual(idsOf(b.store));

    const fullTransfer = countUtf8Bytes(JSON.stringify({ t: 'batch', d: encodeBatch(shared) }));
    const sent = network.bytesSent;
    console.log(`reconciliation: ${sent} bytes on the wire for 200 differences; full transfer ${fullTransfer} (compact), ${countUtf8Bytes(JSON.stringify(shared))} (JSON)`);
    expect(sent).toBeLessThan(fullTransfer / 5);
    // Each side received only what it lacked, and both now resume from a cursor.
    for (const peer of [...a.peers(), ...b.peers()]) expect(peer.stats.deltasReceived).toBe(100);
    expect((await a.store.getCursor('b'))?.feedId).toBe('feed-b');
    expect((await b.store.getCursor('a'))?.feedId).toBe('feed-a');
  });

  it('keeps the sender bounded when the receiver stalls, then delivers everything', async () => {
    const { scheduler, network, node } = createHarness();
    const limits = { maxBatchBytes: 8 * 1024, window: 4 };
    const a = node('a', { limits });
    const b = node('b', { limits });
    await a.store.appendBatch(generateDeltas(5_000, 13));
    const [toB, fromA] = network.createPair('a', 'b');
    const sender = a.attach(toB);
    b.attach(fromA);
    // Hellos cross at 1 ms, credit and subscribe at 2 ms: stall the reader as batches start to flow.
    await scheduler.advance(2);
    fromA.pause();
    for (let i = 0; i < 20; i++) {
      await a.store.appendBatch(generateDeltas(50, 100 + i, `more-${i}`));
      await scheduler.advance(50);
      const snapshot = sender.snapshot();
      // At most `window` batches of at most maxBatchBytes are ever outstanding.
      expect(toB.bufferedAmount!).toBeLessThanOrEqual(limits.window * (limits.maxBatchBytes + 256) + 4096);
      expect(snapshot.credit).toBe(0);
      expect(snapshot.queuedIds).toBe(0);
    }
    expect(sender.snapshot().stats.batchesSent).toBeLessThanOrEqual(limits.window);
    expect(b.store.size).toBe(0);
    expect(b.peers()[0]!.lag).toBe(5_000);
    fromA.resume();
    // The pause outlived the ping interval, so the link may have been dropped: both outcomes must
    // leave everything delivered once a link is up again.
    network.link(b, a);
    expect(await scheduler.runUntil(() => b.store.size === 6_000, 10_000)).toBe(true);
  });
});

describe('session: transport faults and membership', () => {
  it('drops duplicated frames and reorders delayed ones without losing the link', async () => {
    const { scheduler, network, node } = createHarness(5, { dropRate: 0, duplicateRate: 0.3, minDelayMs: 1, maxDelayMs: 40 });
    const a = node('a');
    const b = node('b');
    await a.store.appendBatch(generateDeltas(3000, 20, 'a'));
    const [toB, fromA] = network.createPair('a', 'b');
    const session = a.attach(toB);
    b.attach(fromA);
    for (let i = 0; i < 10; i++) {
      await a.store.appendBatch(generateDeltas(5, 40 + i, `live-${i}`));
      await scheduler.advance(30);
    }
    expect(await scheduler.runUntil(() => b.store.size === 3050, 5_000)).toBe(true);
    const peer = b.peers()[0]!;
    expect(session.snapshot().state).toBe('open');
    expect(peer.stats.duplicateFrames).toBeGreaterThan(0);
    expect(peer.stats.deltasReceived).toBe(3050);
  });

  it('closes a link whose peer stopped answering pings', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    const b = node('b');
    const [toB, fromA] = network.createPair('a', 'b');
    const session = a.attach(toB);
    b.attach(fromA);
    await scheduler.advance(100);
    fromA.pause();
    await scheduler.advance(2_500);
    expect(session.snapshot()).toMatchObject({ state: 'closed', lastError: { code: 'SYNC_TIMEOUT' } });
  });

  it('tells peers the addresses it knows and reports peers with state and lag', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a', { advertise: ['ws://a.example:7070'] });
    const b = node('b', { advertise: ['ws://b.example:7070'] });
    const c = node('c');
    await a.store.appendBatch(generateDeltas(10, 21));
    network.link(b, a);
    await scheduler.advance(50);
    network.link(c, b);
    await scheduler.advance(50);
    expect(b.knownAddresses()).toEqual(['ws://b.example:7070', 'ws://a.example:7070']);
    expect(c.knownAddresses()).toEqual(expect.arrayContaining(['ws://a.example:7070', 'ws://b.example:7070']));
    expect(b.peers().map((peer) => [peer.peer?.nodeId, peer.state, peer.pull])).toEqual([
      ['a', 'open', 'streaming'],
      ['c', 'open', 'streaming'],
    ]);
  });

  it('refuses a connection to itself', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    const [one, two] = network.createPair('a', 'a');
    const first = a.attach(one);
    a.attach(two);
    await scheduler.advance(20);
    expect(first.snapshot()).toMatchObject({ state: 'closed', lastError: { code: 'SYNC_SELF_CONNECTION' } });
  });
});

describe('session: handshake and hostile peers', () => {
  it('answers an incompatible protocol version with a typed error and closes', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a');
    const [mine, theirs] = network.createPair('a', 'raw');
    const session = a.attach(mine);
    const raw = createRawPeer(theirs);
    // Version 1 had no lazy push; its peers are refused as clearly as a future version's.
    raw.hello({ protocol: 1 });
    await scheduler.advance(20);
    expect(raw.errors()).toMatchObject([{ code: 'SYNC_PROTOCOL_VERSION_UNSUPPORTED', fatal: true, details: { supported: [PROTOCOL_VERSION] } }]);
    expect(raw.closed).toBe(true);
    expect(session.snapshot()).toMatchObject({ state: 'closed', lastError: { code: 'SYNC_PROTOCOL_VERSION_UNSUPPORTED' } });
  });

  it('authenticates peers by a shared secret that never crosses the wire', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a', { secretFor: (peer) => (peer === 'b' ? 'secret-ab' : undefined) });
    await a.store.appendBatch(generateDeltas(10, 14));
    const frames: string[] = [];
    const connect = (other: SyncNode) => {
      const [toA, fromB] = network.createPair(other.nodeId, 'a');
      const send = toA.send.bind(toA);
      const sendBack = fromB.send.bind(fromB);
      toA.send = (frame) => (frames.push(frame), send(frame));
      fromB.send = (frame) => (frames.push(frame), sendBack(frame));
      a.attach(fromB);
      return other.attach(toA);
    };

    const wrong = connect(node('b', { secretFor: () => 'guess' }));
    const none = connect(node('b'));
    const stranger = connect(node('c', { secretFor: () => 'secret-ab' }));
    const b = node('b', { secretFor: (peer) => (peer === 'a' ? 'secret-ab' : undefined) });
    const right = connect(b);
    await scheduler.advance(100);
    for (const session of [wrong, none, stranger]) {
      expect(session.snapshot()).toMatchObject({ state: 'closed', lastError: { code: 'SYNC_AUTH_FAILED' } });
    }
    expect(right.snapshot().state).toBe('open');
    expect(b.store.size).toBe(10);
    expect(frames.some((frame) => frame.includes('secret-ab'))).toBe(false);
  });

  it('rejects a batch with one bad delta as a whole, and disconnects a peer past the threshold', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a', { limits: { maxStrikes: 3 } });
    const [mine, theirs] = network.createPair('a', 'raw');
    const session = a.attach(mine);
    const raw = createRawPeer(theirs);
    raw.hello();
    await scheduler.advance(20);
    expect(session.snapshot().state).toBe('open');

    const good = generateDeltas(3, 15);
    raw.send({ t: 'batch', d: encodeBatch(good) });
    await scheduler.advance(20);
    expect(a.store.size).toBe(3);

    const mixed = JSON.parse(JSON.stringify(encodeBatch(generateDeltas(4, 16, 'mixed'))));
    mixed.r[2][3] = [[0, 'x'], [0, 'y']].map(([i, v]) => [mixed.s.length + 5 + Number(i), v]);
    raw.send({ t: 'batch', d: mixed });
    await scheduler.advance(20);
    expect(a.store.size).toBe(3);
    expect(raw.errors().at(-1)).toMatchObject({ fatal: false });

    raw.sendRaw('this is not json');
    await scheduler.advance(20);
    expect(session.snapshot().state).toBe('open');
    expect(raw.errors().at(-1)).toMatchObject({ code: 'SYNC_FRAME_INVALID', fatal: false });

    const invalidContent = JSON.parse(JSON.stringify(encodeBatch(generateDeltas(2, 17, 'bad'))));
    invalidContent.r[0][1] = 999;
    raw.send({ t: 'batch', d: invalidContent });
    await scheduler.advance(20);
    expect(raw.errors().at(-1)).toMatchObject({ code: 'SYNC_TOO_MANY_ERRORS', fatal: true });
    expect(raw.closed).toBe(true);
    expect(session.snapshot().state).toBe('closed');
    expect(a.store.size).toBe(3);
  });

  it('asks for announced deltas it lacks, and refuses announcements outside the feed or past its limit', async () => {
    const { scheduler, network, node } = createHarness();
    const a = node('a', { limits: { maxPendingIds: 4 } });
    const known = generateDeltas(2, 40, 'known');
    await a.store.appendBatch(known);
    // A cursor into the raw peer's feed, so a streams from it rather than reconciling first.
    await a.store.setCursor('raw', { feedId: 'raw-feed', seq: 0 });
    const [mine, theirs] = network.createPair('a', 'raw');
    const session = a.attach(mine);
    const raw = createRawPeer(theirs);
    raw.hello({ feed: { id: 'raw-feed', head: 5 } });
    await scheduler.advance(20);
    // a subscribed from its cursor; announce two deltas it holds and two it lacks.
    expect(raw.received.find((message) => message.t === 'hello')).toMatchObject({ features: ['lazy-push', 'catch-up-by-ids'] });
    const lacking = generateDeltas(2, 41, 'lacking');
    const ids = [...known, ...lacking].map((delta) => delta.id);
    raw.send({ t: 'batch', seq: 4, d: encodeBatch([]), h: ids });
    await scheduler.advance(20);
    expect(raw.received.filter((message) => message.t === 'want')).toMatchObject([{ ids: lacking.map((delta) => delta.id) }]);
    // Not persisted past the announcement until the wanted deltas arrive.
    expect(await a.store.getCursor('raw')).toMatchObject({ seq: 0 });
    raw.send({ t: 'batch', d: encodeBatch(lacking) });
    await scheduler.advance(20);
    expect(await a.store.getCursor('raw')).toMatchObject({ seq: 4 });

    // Announced ids on a batch that is not part of the feed stream are a violation.
    raw.send({ t: 'batch', d: encodeBatch([]), h: generateDeltas(1, 42, 'stray').map((delta) => delta.id) });
    await scheduler.advance(20);
    expect(raw.errors().at(-1)).toMatchObject({ code: 'SYNC_PROTOCOL_VIOLATION', fatal: true });
    expect(session.snapshot().state).toBe('closed');

    // More announced deltas outstanding than maxPendingIds: disconnected, nothing stored.
    const [mine2, theirs2] = network.createPair('a', 'raw');
    a.attach(mine2);
    const flood = createRawPeer(theirs2);
    flood.hello({ feed: { id: 'raw-feed', head: 50 } });
    await scheduler.advance(20);
    flood.send({ t: 'batch', seq: 10, d: encodeBatch([]), h: generateDeltas(5, 43, 'flood').map((delta) => delta.id) });
    await scheduler.advance(20);
    expect(flood.errors().at(-1)).toMatchObject({ code: 'SYNC_FLOW_CONTROL_VIOLATION', fatal: true });
    expect(a.store.size).toBe(4);
  });

  it('stores batches that arrived back to back with one append, in order, and returns their credit', async () => {
    const { scheduler, network, node } = createHarness();
    const store = createMemorySyncStore();
    // The first append waits until released, as behind a slow disk; the rest go straight through.
    const appends: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const a = node('a', {
      store: {
        ...store,
        appendBatch: async (deltas: readonly Delta[], options?: AppendOptions) => {
          appends.push(deltas.length);
          if (appends.length === 1) await held;
          return store.appendBatch(deltas, options);
        },
      } as typeof store,
    });
    const [mine, theirs] = network.createPair('a', 'raw');
    a.attach(mine);
    const raw = createRawPeer(theirs);
    raw.hello();
    await scheduler.advance(20);
    const batches = [0, 1, 2, 3].map((i) => generateDeltas(2, 40 + i, `g${i}`));
    for (const deltas of batches) raw.send({ t: 'batch', d: encodeBatch(deltas) });
    await scheduler.advance(20);
    expect(appends).toEqual([2]);
    release();
    await scheduler.advance(20);
    // The three that queued behind the first went in as one append, in the order sent.
    expect(appends).toEqual([2, 6]);
    expect(store.all().map((delta) => delta.id)).toEqual(batches.flat().map((delta) => delta.id));
    const credit = raw.received.filter((message) => message.t === 'credit');
    expect(credit.reduce((sum, message) => sum + (message.t === 'credit' ? message.grant : 0), 0)).toBe(4 + 4);
    expect(raw.errors()).toEqual([]);
  });

  it('treats a batch sent without credit and a message before hello as violations', async () => {
    const { scheduler, network, node } = createHarness();
    const store = createMemorySyncStore();
    // A store that never finishes an append: batches pile up unhandled, as behind a slow disk.
    const a = node('a', { store: { ...store, appendBatch: () => new Promise<never>(() => {}) } as typeof store });
    const [mine, theirs] = network.createPair('a', 'raw');
    a.attach(mine);
    const raw = createRawPeer(theirs);
    raw.send({ t: 'ping', nonce: 1 });
    await scheduler.advance(20);
    expect(raw.errors()).toMatchObject([{ code: 'SYNC_PROTOCOL_VIOLATION', fatal: true }]);

    const [mine2, theirs2] = network.createPair('a', 'raw');
    a.attach(mine2);
    const flood = createRawPeer(theirs2);
    flood.hello();
    // Credit comes back when a batch is taken to be stored: the window queued, plus a group (at
    // most the window) being stored, is all a peer may send.
    for (let i = 0; i < 9; i++) flood.send({ t: 'batch', d: encodeBatch(generateDeltas(1, 30 + i, `f${i}`)) });
    await scheduler.advance(20);
    expect(flood.errors().at(-1)).toMatchObject({ code: 'SYNC_FLOW_CONTROL_VIOLATION', fatal: true });
  });
});
