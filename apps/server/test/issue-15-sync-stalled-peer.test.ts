import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  setDelta,
  startServerProcess,
  TOKEN_ENTRIES,
  TOKENS,
  type ServerProcess,
} from './helpers.ts';
import {
  connectRawPeer,
  grantCredit,
  readRss,
  timeHealthz,
  type RawPeer,
} from './sync-raw-peer.ts';

// Issue 15 item 5: a peer that grants all the credit it may and then stops reading must not make
// the node buffer its whole feed. The node caps what a link holds unsent (the socket's
// bufferedAmount), pauses there, and drops the link with SYNC_PEER_TOO_SLOW once it stays there;
// a healthy peer pulls the whole feed meanwhile.

const DELTAS = 360;
const VALUE_BYTES = 60_000; // ~20 MB of feed
const STALL_TIMEOUT_MS = 15_000;

let dir: string;
let server: ServerProcess;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'issue-15-stall-'));
  server = await startServerProcess('stall-node', {
    RHIZOME_DATA_DIR: join(dir, 'data'),
    RHIZOME_TOKENS: JSON.stringify(TOKEN_ENTRIES),
    RHIZOME_SYNC_STALL_TIMEOUT_MS: String(STALL_TIMEOUT_MS),
  });
  const pad = 'x'.repeat(VALUE_BYTES);
  for (let i = 0; i < DELTAS; i += 40) {
    const deltas = Array.from({ length: 40 }, (_, k) =>
      setDelta(`doc-${i + k}`, 'body', `${i + k}${pad}`),
    );
    const response = await fetch(`${server.url}/api/deltas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deltas }),
    });
    expect(response.ok).toBe(true);
  }
}, 120_000);

afterAll(async () => {
  server?.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A peer that asks for the whole feed with the largest credit the protocol allows. */
async function pullEverything(nodeId: string): Promise<RawPeer> {
  const peer = await connectRawPeer(`${server.url.replace('http', 'ws')}/sync`, TOKENS.peer, {
    nodeId,
    batchDeltas: true,
  });
  grantCredit(peer, 65_536);
  peer.send({ t: 'subscribe', from: 0 });
  return peer;
}

const stalledRows = async () => {
  const response = await fetch(`${server.url}/api/peers`, {
    headers: { authorization: `Bearer ${TOKENS.admin}` },
  });
  const body = (await response.json()) as {
    peers: { nodeId: string | null; deltasSent: number }[];
  };
  return body.peers.filter((row) => row.nodeId?.startsWith('stalled-') === true);
};

describe('a peer that stops reading', () => {
  it('is paused at the byte cap and dropped with SYNC_PEER_TOO_SLOW; a healthy peer pulls everything', async () => {
    const pid = server.child.pid!;
    // Baseline in the same run: one healthy peer pulls the whole feed.
    const baseline = await pullEverything('healthy-0');
    await eventually(
      () => (baseline.deltasReceived() >= DELTAS ? true : undefined),
      'the baseline pull',
      60_000,
    );
    baseline.socket.terminate();
    await sleep(500);
    const rssBaseline = await readRss(pid);
    const healthzBaseline = await timeHealthz(server.url);

    // Three peers grant 65,536 credits, subscribe from 0, and never read again.
    const stalled: RawPeer[] = [];
    for (let i = 0; i < 3; i++) {
      const peer = await pullEverything(`stalled-${i}`);
      (peer.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      stalled.push(peer);
    }
    let rssPeak = 0;
    let healthzWorst = 0;
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      rssPeak = Math.max(rssPeak, await readRss(pid));
      healthzWorst = Math.max(healthzWorst, await timeHealthz(server.url));
      await sleep(100);
    }
    // The node stopped sending at its cap, whatever credit the peers granted.
    const rows = await stalledRows();
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.deltasSent).toBeLessThan(DELTAS / 2);

    // Other links keep working meanwhile.
    const healthy = await pullEverything('healthy-1');
    await eventually(
      () => (healthy.deltasReceived() >= DELTAS ? true : undefined),
      'the healthy pull',
      60_000,
    );
    expect(healthy.deltasReceived()).toBe(DELTAS);
    healthy.socket.terminate();

    // Past the stall timeout the links are dropped, with the reason on the wire.
    await eventually(
      async () => ((await stalledRows()).length === 0 ? true : undefined),
      'the stalled links to go',
      30_000,
    );
    for (const peer of stalled) {
      (peer.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      const closed = await peer.closed();
      expect(closed.reason).toBe('SYNC_PEER_TOO_SLOW');
      expect(peer.frames.find((frame) => frame.t === 'error')).toMatchObject({
        code: 'SYNC_PEER_TOO_SLOW',
        fatal: true,
      });
      expect(peer.deltasReceived()).toBeLessThan(DELTAS / 2);
    }
    console.log(
      `[issue-15 item 5] feed ${((DELTAS * VALUE_BYTES) / 2 ** 20).toFixed(1)} MiB; RSS after a healthy pull ${(rssBaseline / 2 ** 20).toFixed(0)} MiB, ` +
        `peak with 3 stalled peers ${(rssPeak / 2 ** 20).toFixed(0)} MiB; /healthz baseline ${healthzBaseline.toFixed(1)} ms, ` +
        `worst with stalled peers ${healthzWorst.toFixed(1)} ms; node sent the stalled peers ${rows.map((row) => row.deltasSent).join(', ')} of ${DELTAS} deltas`,
    );
  }, 150_000);
});
