import { decodeBatch, type EncodedBatch } from '@rhizome/sync';
import { WebSocket } from 'ws';

/**
 * A hand-driven sync peer over a real WebSocket, for tests that play a misbehaving peer: it says
 * hello, may grant credit and subscribe, and records every frame the node sends.
 */
export interface RawPeer {
  readonly socket: WebSocket;
  /** Every frame received, parsed. */
  readonly frames: { t: string; [key: string]: unknown }[];
  /** Deltas received in batches so far. */
  deltasReceived(): number;
  bytesReceived(): number;
  send(message: Record<string, unknown>): void;
  /** Resolves once the node has said hello and granted credit (the link is open). */
  opened(): Promise<void>;
  closed(): Promise<{ code: number; reason: string }>;
}

export async function connectRawPeer(
  url: string,
  token: string,
  options: { nodeId: string; head?: number; batchDeltas?: boolean } = { nodeId: 'raw-peer' },
): Promise<RawPeer> {
  const socket = new WebSocket(url, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const frames: RawPeer['frames'] = [];
  let deltas = 0;
  let bytes = 0;
  let n = 0;
  let openResolve: (() => void) | undefined;
  const opened = new Promise<void>((resolve) => (openResolve = resolve));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('message', (data: Buffer) => {
    bytes += data.length;
    const frame = JSON.parse(data.toString('utf8')) as RawPeer['frames'][number];
    if (frame.t === 'batch') {
      if (options.batchDeltas !== false) deltas += decodeBatch(frame.d as EncodedBatch).length;
      // Keep only the envelope: the test looks at counts, not bodies.
      frames.push({ t: 'batch', seq: frame.seq });
    } else frames.push(frame);
    if (frame.t === 'credit') openResolve?.();
  });
  const send = (message: Record<string, unknown>): void => {
    socket.send(JSON.stringify({ n: ++n, ...message }));
  };
  send({
    t: 'hello',
    protocol: 2,
    node: options.nodeId,
    feed: { id: `${options.nodeId}-feed`, head: options.head ?? 0 },
    nonce: 'raw-peer-nonce-0123456789',
  });
  return {
    socket,
    frames,
    deltasReceived: () => deltas,
    bytesReceived: () => bytes,
    send,
    opened: () => opened,
    closed: () => closed,
  };
}

/** Grants `batches` credit in messages of at most 1,024 (the protocol's largest grant). */
export function grantCredit(peer: RawPeer, batches: number): void {
  for (let left = batches; left > 0; left -= 1024) {
    peer.send({ t: 'credit', grant: Math.min(1024, left) });
  }
}

/** Resident set size of a process in bytes (Linux). */
export async function readRss(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** Milliseconds a GET of `/healthz` takes. */
export async function timeHealthz(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/healthz`);
  await response.text();
  return performance.now() - started;
}
