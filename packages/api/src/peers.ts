import { z } from 'zod';
import { ApiErrorCode, createApiError } from '@rhizome/node';

/** One row of a node's peer list, as the API shows it. */
export interface PeerRow {
  /** The address this node dials (outbound links), or the remote socket address (inbound). */
  readonly address: string | null;
  /** The peer's node id, once a handshake reached it. */
  readonly nodeId: string | null;
  /** `connecting` (dialling or redialling), `handshaking`, `open`, `closed`. */
  readonly state: 'connecting' | 'handshaking' | 'open' | 'closed';
  readonly direction: 'outbound' | 'inbound';
  /**
   * Linked on purpose (configured in RHIZOME_PEERS or added through the API) and kept linked,
   * rather than learnt through peer exchange.
   */
  readonly seed: boolean;
  /**
   * Why this node dials the address: `config` (RHIZOME_PEERS), `api` (added through the API and
   * saved in the node's storage) or `exchange` (learnt from a peer). Null for inbound links.
   */
  readonly origin: 'config' | 'api' | 'exchange' | null;
  readonly connected: boolean;
  /** Entries of the peer's feed this node has not pulled yet (0 when unknown). */
  readonly lag: number;
  /** Where this node is in pulling the peer's data. */
  readonly pull: 'waiting' | 'reconciling' | 'streaming' | null;
  readonly deltasReceived: number;
  readonly deltasSent: number;
  /** Failed dials or dropped links since the last good handshake (outbound links). */
  readonly failures: number;
  readonly lastError: string | null;
}

/** What a transport that runs sync offers the API: the peer list, adding and removing a peer. */
export interface PeerService {
  list(): readonly PeerRow[];
  /**
   * Starts keeping a link to `address` (redialled with backoff) and saves it, so that it is
   * dialled again after a restart. PEER_EXISTS when already linked.
   */
  add(address: string): Promise<PeerRow>;
  /**
   * Stops dialling `address`, closes its link and forgets it. PEER_NOT_FOUND when this node does
   * not dial it, PEER_CONFIGURED when it comes from the node's configuration.
   */
  remove(address: string): Promise<void>;
}

/** A peer address: a ws:// or wss:// URL of another node's sync endpoint (http(s):// is taken as ws(s)://). */
export const peerAddressSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a URL` });
      return z.NEVER;
    }
    const protocol = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[
      url.protocol
    ];
    if (protocol === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" must be a ws://, wss://, http:// or https:// URL`,
      });
      return z.NEVER;
    }
    url.protocol = protocol;
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/sync';
    return url.toString();
  });

export const addPeerInputSchema = z.object({ address: peerAddressSchema }).strict();

export const removePeerInputSchema = z.object({ address: peerAddressSchema }).strict();

/** The peer service, or SYNC_DISABLED when the node runs without sync. */
export function requirePeerService(peers: PeerService | undefined): PeerService {
  if (peers === undefined) {
    throw createApiError(ApiErrorCode.SyncDisabled, 'this node runs without sync: it has no peers');
  }
  return peers;
}
