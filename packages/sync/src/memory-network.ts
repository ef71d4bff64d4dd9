import type { Channel, CloseInfo } from './channel.ts';
import { createSyncError, SyncErrorCode } from './errors.ts';
import type { BackoffOptions } from './backoff.ts';
import type { SyncNode } from './node.ts';
import { createRandom, type Random } from './random.ts';
import { createReconnector, type Reconnector } from './reconnect.ts';
import type { Scheduler } from './scheduler.ts';
import type { Session, SessionOptions } from './session.ts';
import { countUtf8Bytes } from './utf8.ts';

/** Misbehaviour injected into every message on the network. */
export interface Faults {
  /** Probability a message is lost. A loss is noticed by the session, which closes the link. */
  readonly dropRate: number;
  /** Probability a message is delivered twice. */
  readonly duplicateRate: number;
  /** Delivery delay range; different delays reorder messages. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export const noFaults: Faults = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 1 };

/** One end of an in-memory link, with test controls. */
export interface MemoryChannel extends Channel {
  /** Stops handing inbound frames to the listener (a stalled reader); they pile up in transit. */
  pause(): void;
  resume(): void;
  readonly closed: boolean;
  /** Frames this end has received and not yet handed over because it is paused. */
  readonly held: number;
}

export interface MemoryNetwork {
  /** A connected pair of channels between two named endpoints. */
  createPair(a: string, b: string): [MemoryChannel, MemoryChannel];
  /** Keeps nodes `a` and `b` connected (a dials b), redialling with backoff after every close. */
  link(a: SyncNode, b: SyncNode, options?: { readonly a?: SessionOptions; readonly b?: SessionOptions }): Reconnector;
  /** Makes `node` reachable at `address` for `dial`. */
  register(address: string, node: SyncNode): void;
  /** Connects `from` to the node registered at `address` and returns `from`'s session. */
  dial(from: SyncNode, address: string, options?: SessionOptions): Promise<Session>;
  /** Cuts every link between `a` and `b` and refuses new ones until healed. */
  partition(a: string, b: string): void;
  heal(a: string, b: string): void;
  healAll(): void;
  setFaults(faults: Faults): void;
  /** Bytes sent and not yet taken by a reader, over all links. */
  bytesInFlight(): number;
  readonly messagesSent: number;
  readonly bytesSent: number;
}

export interface MemoryNetworkOptions {
  readonly scheduler: Scheduler;
  readonly seed: number;
  readonly faults?: Faults;
  readonly backoff?: BackoffOptions;
}

interface End extends MemoryChannel {
  peerEnd: End;
  inFlight: number;
  /** Arrived while paused: handed over on resume. */
  readonly inbox: { frame: string; bytes: number }[];
  readonly paused: boolean;
  take(frame: string, bytes: number): void;
  finish(info: CloseInfo): void;
}

const pairKey = (a: string, b: string): string => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/**
 * An in-memory network for tests: seeded, on a (virtual) scheduler, with message loss,
 * duplication, delay/reordering and partitions. The same seed replays the same run.
 */
export function createMemoryNetwork(options: MemoryNetworkOptions): MemoryNetwork {
  const { scheduler } = options;
  const random: Random = createRandom(options.seed);
  let faults = options.faults ?? noFaults;
  const partitions = new Set<string>();
  const live = new Map<string, Set<End>>();
  let inFlightTotal = 0;
  let messagesSent = 0;
  let bytesSent = 0;

  const delay = (): number => faults.minDelayMs + Math.floor(random() * (faults.maxDelayMs - faults.minDelayMs + 1));

  const createEnd = (key: string): End => {
    let listener: ((frame: string) => void) | undefined;
    let closeListener: ((info: CloseInfo) => void) | undefined;
    let paused = false;
    let closed = false;

    const release = (from: End, bytes: number): void => {
      from.inFlight -= bytes;
      inFlightTotal -= bytes;
    };

    const end: End = {
      peerEnd: undefined as unknown as End,
      inFlight: 0,
      inbox: [],
      send(frame) {
        if (closed) throw createSyncError(SyncErrorCode.Closed, 'channel is closed');
        messagesSent++;
        const bytes = countUtf8Bytes(frame);
        bytesSent += bytes;
        if (random() < faults.dropRate) return;
        const copies = random() < faults.duplicateRate ? 2 : 1;
        for (let c = 0; c < copies; c++) {
          end.inFlight += bytes;
          inFlightTotal += bytes;
          scheduler.schedule(delay(), () => end.peerEnd.take(frame, bytes));
        }
      },
      take(frame, bytes) {
        if (closed) {
          release(end.peerEnd, bytes);
        } else if (paused) {
          // Still counted against the writer: a stalled reader backs data up to it, as TCP does.
          end.inbox.push({ frame, bytes });
        } else {
          release(end.peerEnd, bytes);
          listener?.(frame);
        }
      },
      onMessage(next) {
        listener = next;
      },
      close(reason = 'closed') {
        if (closed) return;
        end.finish({ reason });
        scheduler.schedule(delay(), () => end.peerEnd.finish({ reason: `peer closed: ${reason}` }));
      },
      onClose(next) {
        closeListener = next;
      },
      get bufferedAmount() {
        return end.inFlight;
      },
      pause() {
        paused = true;
      },
      resume() {
        paused = false;
        for (const item of end.inbox.splice(0)) {
          release(end.peerEnd, item.bytes);
          if (!closed) listener?.(item.frame);
        }
      },
      get paused() {
        return paused;
      },
      get closed() {
        return closed;
      },
      get held() {
        return end.inbox.length;
      },
      finish(info) {
        if (closed) return;
        closed = true;
        live.get(key)?.delete(end);
        for (const item of end.inbox.splice(0)) release(end.peerEnd, item.bytes);
        closeListener?.(info);
      },
    };
    return end;
  };

  const createPair = (a: string, b: string): [MemoryChannel, MemoryChannel] => {
    const key = pairKey(a, b);
    const left = createEnd(key);
    const right = createEnd(key);
    left.peerEnd = right;
    right.peerEnd = left;
    const set = live.get(key) ?? new Set<End>();
    set.add(left);
    set.add(right);
    live.set(key, set);
    return [left, right];
  };

  const registry = new Map<string, SyncNode>();

  return {
    createPair,
    register(address, node) {
      registry.set(address, node);
    },
    async dial(from, address, dialOptions = {}) {
      const to = registry.get(address);
      if (to === undefined || partitions.has(pairKey(from.nodeId, to.nodeId))) {
        throw createSyncError(SyncErrorCode.Closed, `${from.nodeId} cannot reach ${address}`);
      }
      const [left, right] = createPair(from.nodeId, to.nodeId);
      to.attach(right);
      return from.attach(left, { address, ...dialOptions });
    },
    link(a, b, linkOptions = {}) {
      return createReconnector({
        scheduler,
        random,
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        connect: async () => {
          if (partitions.has(pairKey(a.nodeId, b.nodeId))) {
            throw createSyncError(SyncErrorCode.Closed, `${a.nodeId} cannot reach ${b.nodeId}`);
          }
          const [left, right] = createPair(a.nodeId, b.nodeId);
          b.attach(right, linkOptions.b ?? {});
          return a.attach(left, { address: b.nodeId, ...linkOptions.a });
        },
      });
    },
    partition(a, b) {
      const key = pairKey(a, b);
      partitions.add(key);
      for (const end of [...(live.get(key) ?? [])]) end.close('partitioned');
    },
    heal(a, b) {
      partitions.delete(pairKey(a, b));
    },
    healAll() {
      partitions.clear();
    },
    setFaults(next) {
      faults = next;
    },
    bytesInFlight() {
      return inFlightTotal;
    },
    get messagesSent() {
      return messagesSent;
    },
    get bytesSent() {
      return bytesSent;
    },
  };
}
