import { createMemoryStore, type StoredDelta } from '@rhizome/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenPrincipal } from './principal.ts';
import { createRhizomeNode, type RhizomeNode } from './rhizome-node.ts';

const open = createOpenPrincipal();

/** Reads `count` entries from a stream, then stops it. */
async function take(
  stream: AsyncGenerator<StoredDelta>,
  count: number,
  options: { slow?: boolean } = {},
): Promise<StoredDelta[]> {
  const out: StoredDelta[] = [];
  while (out.length < count) {
    const next = await stream.next();
    if (next.done === true) break;
    out.push(next.value);
    // A slow consumer lets writes commit while the stream is between reads of the store.
    if (options.slow === true) await new Promise((resolve) => setImmediate(resolve));
  }
  await stream.return(undefined);
  return out;
}

describe('streamDeltas: the raw stream with sequence numbers', () => {
  let node: RhizomeNode | undefined;
  afterEach(async () => {
    await node?.close();
    node = undefined;
  });

  it('resumes after the last seen seq with exactly the missed deltas, then goes on live', async () => {
    node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n' });
    await node.putProperties('before', { n: 0 }, open); // not part of a fresh stream

    const live = node.streamDeltas();
    const first = live.next();
    const written: string[] = [];
    for (const n of [1, 2, 3]) written.push((await node.putProperties('e', { n }, open)).id);
    const seen = [(await first).value as StoredDelta, ...(await take(live, 2))];
    expect(seen.map((entry) => entry.delta.id)).toEqual(written);
    const seqs = seen.map((entry) => entry.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    // Disconnected: four more writes.
    const missed: string[] = [];
    for (const n of [4, 5, 6, 7]) missed.push((await node.putProperties('e', { n }, open)).id);

    const resumed = node.streamDeltas({ after: seqs.at(-1)! });
    const replayed = await resumed.next().then(async (head) => [
      head.value as StoredDelta,
      ...(await (async () => {
        const rest: StoredDelta[] = [];
        for (let i = 0; i < 3; i++) rest.push((await resumed.next()).value as StoredDelta);
        return rest;
      })()),
    ]);
    expect(replayed.map((entry) => entry.delta.id)).toEqual(missed);
    const after = (await node.putProperties('e', { n: 8 }, open)).id;
    const next = await resumed.next();
    expect((next.value as StoredDelta).delta.id).toBe(after);
    expect((next.value as StoredDelta).seq).toBeGreaterThan(replayed.at(-1)!.seq);
    await resumed.return(undefined);
  });

  it('has no gap and no repeat when writes land while it replays', async () => {
    const store = createMemoryStore();
    node = await createRhizomeNode({ store, nodeId: 'n', streamBufferSize: 10_000 });
    for (let n = 0; n < 30; n++) await node.putProperties(`a${n}`, { n }, open);
    // Writes keep arriving while the stream pages through the store and joins the live feed.
    const writes = Array.from({ length: 200 }, (_, n) =>
      node!.putProperties(`b${n % 7}`, { n }, open),
    );
    const stream = node.streamDeltas({ after: 0 });
    const received = await take(stream, 230, { slow: true });
    await Promise.all(writes);
    const stored = await store.changes({ after: 0, limit: 1000 });
    expect(received.map((entry) => entry.seq)).toEqual(stored.entries.map((entry) => entry.seq));
    expect(received.map((entry) => entry.delta.id)).toEqual(
      stored.entries.map((entry) => entry.delta.id),
    );
  });

  it('keeps watchDeltas as the same stream without sequence numbers', async () => {
    node = await createRhizomeNode({ store: createMemoryStore(), nodeId: 'n' });
    const stream = node.watchDeltas();
    const pending = stream.next();
    const { id } = await node.putProperties('x', { a: 1 }, open);
    expect(((await pending).value as { id: string }).id).toBe(id);
    await stream.return(undefined);
  });
});
