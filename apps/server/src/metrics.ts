import type { NodeStats, PeerRow } from '@rhizome/api';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The node's Prometheus metrics, on a registry of its own (several servers can run in one
 * process, as the tests do): prom-client's default process metrics (CPU, heap, event-loop lag,
 * GC, file descriptors) plus the node's request, append, subscription and sync series.
 */
export interface Metrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** One store append (a group commit) that took `seconds` and stored `deltas` new deltas. */
  observeAppend(seconds: number, deltas: number): void;
  /** Adds the per-peer sync series, read from `peers` at each scrape. Once per metrics object. */
  trackPeers(peers: () => readonly PeerRow[]): void;
  /** Adds the node-wide sync counters (every link since start), read at each scrape. Once. */
  trackSyncTotals(totals: () => SyncTotals): void;
  /** The exposition text (format 0.0.4). */
  render(stats: NodeStats): Promise<string>;
  readonly contentType: string;
}

/** The node's sync counters summed over every link since it started. */
export interface SyncTotals {
  readonly deltasReceived: number;
  readonly deltasStored: number;
  readonly deltasSent: number;
  readonly idsAnnounced: number;
  readonly announcementsReceived: number;
  readonly announcementsWanted: number;
}

const SYNC_COUNTERS = [
  [
    'rhizome_sync_deltas_received_total',
    'Delta bodies received from peers over every link since start (duplicates included).',
    'deltasReceived',
  ],
  [
    'rhizome_sync_deltas_stored_total',
    'Delta bodies received from peers that were new to this node.',
    'deltasStored',
  ],
  ['rhizome_sync_deltas_sent_total', 'Delta bodies sent to peers.', 'deltasSent'],
  [
    'rhizome_sync_ids_announced_total',
    'Relayed deltas sent to peers by id only (lazy push).',
    'idsAnnounced',
  ],
  [
    'rhizome_sync_announcements_received_total',
    'Delta ids peers announced to this node.',
    'announcementsReceived',
  ],
  [
    'rhizome_sync_announcements_wanted_total',
    'Announced ids this node lacked and asked for.',
    'announcementsWanted',
  ],
] as const satisfies readonly (readonly [string, string, keyof SyncTotals])[];

export interface MetricsOptions {
  /** Clock for the uptime gauge (tests). */
  readonly now?: () => number;
  /** Include prom-client's default process metrics (default true). */
  readonly processMetrics?: boolean;
}

/** Latency buckets (seconds): fine below 100 ms, where a healthy node answers. */
export const DURATION_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

// NodeStats are cumulative counts kept by the node; each scrape copies them into the series.
const COUNTERS = [
  ['rhizome_deltas_stored_total', 'Deltas newly stored by this process.', 'deltasStored'],
  [
    'rhizome_deltas_duplicate_total',
    'Deltas received that were already stored.',
    'deltasDuplicate',
  ],
  ['rhizome_write_batches_total', 'Write batches committed.', 'writeBatches'],
  [
    'rhizome_subscribers_dropped_total',
    'Subscribers dropped for falling behind their buffer.',
    'subscribersDropped',
  ],
] as const satisfies readonly (readonly [string, string, keyof NodeStats])[];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const now = options.now ?? Date.now;
  const started = now();
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  let latest: NodeStats | undefined;

  const requests = new Counter({
    name: 'rhizome_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'rhizome_http_request_duration_seconds',
    help: 'Time to answer HTTP requests.',
    labelNames: ['method', 'route', 'status'],
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
  });
  const appends = new Histogram({
    name: 'rhizome_append_duration_seconds',
    help: 'Time of one durable store append (a group commit of one or more writes).',
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
  });
  const appendedDeltas = new Histogram({
    name: 'rhizome_append_deltas',
    help: 'Deltas newly stored by one append.',
    buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 50_000],
    registers: [registry],
  });
  for (const [name, help, key] of COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        if (latest !== undefined) this.inc(latest[key]);
      },
    });
  }
  new Gauge({
    name: 'rhizome_subscriptions',
    help: 'Open subscriptions (entity, query and delta streams).',
    registers: [registry],
    collect() {
      this.set(latest?.subscriptions ?? 0);
    },
  });
  new Gauge({
    name: 'rhizome_view_deltas',
    help: 'Deltas held by the entity cache (the closures of resident entities).',
    registers: [registry],
    collect() {
      this.set(latest?.deltasInViews ?? 0);
    },
  });
  const cacheGauge = (name: string, help: string, read: (cache: NodeStats['cache']) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(latest === undefined ? 0 : read(latest.cache));
      },
    });
  cacheGauge(
    'rhizome_cache_entities',
    'Entities resident in the entity cache.',
    (c) => c.residentEntities,
  );
  cacheGauge(
    'rhizome_cache_pinned_entities',
    'Resident entities kept by live subscriptions.',
    (c) => c.pinnedEntities,
  );
  cacheGauge('rhizome_cache_bytes', 'Estimated bytes of the resident closures.', (c) => c.bytes);
  cacheGauge(
    'rhizome_cache_max_bytes',
    'The entity cache budget (RHIZOME_CACHE_MB).',
    (c) => c.maxBytes,
  );
  cacheGauge(
    'rhizome_cache_hits',
    'Entity reads answered from the cache since start.',
    (c) => c.hits,
  );
  cacheGauge('rhizome_cache_misses', 'Entities loaded from storage since start.', (c) => c.misses);
  cacheGauge(
    'rhizome_cache_evictions',
    'Entities evicted from the cache since start.',
    (c) => c.evictions,
  );
  new Gauge({
    name: 'rhizome_uptime_seconds',
    help: 'Seconds since the server started.',
    registers: [registry],
    collect() {
      this.set((now() - started) / 1000);
    },
  });
  return {
    contentType: registry.contentType,
    observeRequest(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      durations.observe(labels, seconds);
    },
    trackPeers(peers) {
      const labelNames = ['peer', 'direction'] as const;
      const label = (row: PeerRow) => ({
        peer: row.nodeId ?? row.address ?? 'unknown',
        direction: row.direction,
      });
      const series: readonly (readonly [string, string, (row: PeerRow) => number])[] = [
        [
          'rhizome_sync_peer_lag',
          "Entries of a peer's changes feed this node has not pulled yet.",
          (row) => row.lag,
        ],
        [
          'rhizome_sync_peer_connected',
          'Whether the link to a peer is connected (1) or not (0).',
          (row) => (row.connected ? 1 : 0),
        ],
        [
          'rhizome_sync_peer_deltas_received',
          'Deltas received from a peer over its current link.',
          (row) => row.deltasReceived,
        ],
      ];
      for (const [name, help, valueOf] of series) {
        new Gauge({
          name,
          help,
          labelNames,
          registers: [registry],
          collect() {
            this.reset();
            for (const row of peers()) this.set(label(row), valueOf(row));
          },
        });
      }
    },
    trackSyncTotals(totals) {
      for (const [name, help, key] of SYNC_COUNTERS) {
        new Counter({
          name,
          help,
          registers: [registry],
          collect() {
            // A counter that only goes up: the totals include closed links.
            this.reset();
            this.inc(totals()[key]);
          },
        });
      }
    },
    observeAppend(seconds, deltas) {
      appends.observe(seconds);
      appendedDeltas.observe(deltas);
    },
    async render(stats) {
      latest = stats;
      return registry.metrics();
    },
  };
}
