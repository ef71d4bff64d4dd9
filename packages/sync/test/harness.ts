import type { Delta } from '@rhizome/core';
import { createMemorySyncStore, type MemorySyncStore } from '../src/memory-store.ts';
import { createMemoryNetwork, noFaults, type Faults, type MemoryChannel, type MemoryNetwork } from '../src/memory-network.ts';
import type { Message } from '../src/messages.ts';
import { PROTOCOL_VERSION } from '../src/messages.ts';
import { createSyncNode, type SyncNode, type SyncNodeOptions } from '../src/node.ts';
import { createVirtualScheduler, type VirtualScheduler } from '../src/scheduler.ts';
import type { SyncLimits } from '../src/limits.ts';

export const testLimits: Partial<SyncLimits> = {
  pingIntervalMs: 1_000,
  gapTimeoutMs: 200,
  handshakeTimeoutMs: 1_000,
};

export interface Harness {
  readonly scheduler: VirtualScheduler;
  readonly network: MemoryNetwork;
  node(nodeId: string, options?: Partial<SyncNodeOptions>): SyncNode & { store: MemorySyncStore };
}

export function createHarness(seed = 1, faults: Faults = noFaults): Harness {
  const scheduler = createVirtualScheduler();
  const network = createMemoryNetwork({ scheduler, seed, faults, backoff: { baseMs: 20, maxMs: 200 } });
  return {
    scheduler,
    network,
    node(nodeId, options = {}) {
      const store = (options.store as MemorySyncStore | undefined) ?? createMemorySyncStore({ feedId: `feed-${nodeId}` });
      const node = createSyncNode({ nodeId, scheduler, ...options, store, limits: { ...testLimits, ...options.limits } });
      return node as SyncNode & { store: MemorySyncStore };
    },
  };
}

export const idsOf = (store: MemorySyncStore): string[] => store.all().map((delta: Delta) => delta.id).sort();

/** A hand-driven peer on one end of a channel, for protocol-level tests. */
export function createRawPeer(channel: MemoryChannel) {
  const received: Message[] = [];
  let n = 0;
  let closed = false;
  channel.onMessage((frame) => received.push(JSON.parse(frame) as Message));
  channel.onClose(() => {
    closed = true;
  });
  return {
    received,
    get closed() {
      return closed;
    },
    send(message: Record<string, unknown>) {
      channel.send(JSON.stringify({ n: ++n, ...message }));
    },
    sendRaw(frame: string) {
      n++;
      channel.send(frame);
    },
    hello(overrides: Record<string, unknown> = {}) {
      this.send({ t: 'hello', protocol: PROTOCOL_VERSION, node: 'raw', feed: { id: 'raw-feed', head: 0 }, nonce: 'raw-nonce-0123456789', ...overrides });
    },
    errors() {
      return received.filter((message): message is Extract<Message, { t: 'error' }> => message.t === 'error');
    },
  };
}
