import { createMemoryStore } from '@rhizome/storage';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.ts';
import { startServer } from '../src/server.ts';
import { eventually, silentLogger, syncUrl, testConfig, TOKENS, useSyncPeer } from './helpers.ts';

interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value?: string;
  readonly buckets?: Readonly<Record<string, string>>;
  readonly count?: string;
  readonly sum?: string;
}
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: readonly Sample[];
}

const stats = {
  deltasStored: 3,
  deltasDuplicate: 1,
  writeBatches: 2,
  subscriptions: 1,
  deltasInViews: 3,
  subscribersDropped: 4,
  cache: {
    residentEntities: 2,
    pinnedEntities: 1,
    bytes: 2048,
    maxBytes: 4096,
    hits: 7,
    misses: 2,
    evictions: 1,
    deltas: 3,
  },
};

/** Parses the exposition with a real Prometheus text-format parser: a malformed line throws. */
const parse = (text: string): Map<string, Family> =>
  new Map((parsePrometheusTextFormat(text) as Family[]).map((family) => [family.name, family]));

describe('createMetrics', () => {
  it('renders request histograms and node counters that a Prometheus parser reads', async () => {
    let time = 1_000;
    const metrics = createMetrics({ now: () => time, processMetrics: false });
    metrics.observeRequest('GET', '/api/entities/:id', 200, 0.003);
    metrics.observeRequest('GET', '/api/entities/:id', 200, 0.2);
    metrics.observeRequest('POST', 'route "quoted"\n', 400, 0.001);
    metrics.observeAppend(0.004, 10);
    time = 3_500;
    const families = parse(await metrics.render(stats));

    const requests = families.get('rhizome_http_requests_total')!;
    expect(requests.type).toBe('COUNTER');
    expect(requests.metrics).toContainEqual({
      labels: { method: 'GET', route: '/api/entities/:id', status: '200' },
      value: '2',
    });
    // Label values with quotes and newlines survive the round trip through the text format.
    expect(requests.metrics.map((sample) => sample.labels?.route)).toContain('route "quoted"\n');

    const durations = families.get('rhizome_http_request_duration_seconds')!;
    expect(durations.type).toBe('HISTOGRAM');
    // The parser folds labelled histograms together; their samples are checked in the text.
    const text = await metrics.render(stats);
    const series = 'method="GET",route="/api/entities/:id",status="200"';
    expect(text).toContain(`rhizome_http_request_duration_seconds_bucket{le="0.005",${series}} 1`);
    expect(text).toContain(`rhizome_http_request_duration_seconds_bucket{le="0.25",${series}} 2`);
    expect(text).toContain(`rhizome_http_request_duration_seconds_count{${series}} 2`);
    expect(text).toMatch(
      /rhizome_http_request_duration_seconds_sum\{method="GET",route="\/api\/entities\/:id",status="200"\} 0\.203/,
    );

    expect(families.get('rhizome_append_duration_seconds')!.metrics[0]!.count).toBe('1');
    expect(families.get('rhizome_append_deltas')!.metrics[0]!.buckets).toMatchObject({
      '5': '0',
      '10': '1',
    });
    expect(families.get('rhizome_deltas_stored_total')!.metrics[0]!.value).toBe('3');
    expect(families.get('rhizome_subscribers_dropped_total')!.metrics[0]!.value).toBe('4');
    expect(families.get('rhizome_subscriptions')!.metrics[0]!.value).toBe('1');
    expect(families.get('rhizome_uptime_seconds')!.metrics[0]!.value).toBe('2.5');
    expect(families.get('rhizome_cache_entities')!.metrics[0]!.value).toBe('2');
    expect(families.get('rhizome_cache_bytes')!.metrics[0]!.value).toBe('2048');
    expect(families.get('rhizome_cache_max_bytes')!.metrics[0]!.value).toBe('4096');
    expect(families.get('rhizome_cache_misses')!.metrics[0]!.value).toBe('2');
  });

  it('copies the node counters at each scrape rather than adding them up', async () => {
    const metrics = createMetrics({ processMetrics: false });
    await metrics.render(stats);
    const second = parse(await metrics.render({ ...stats, deltasStored: 5 }));
    expect(second.get('rhizome_deltas_stored_total')!.metrics[0]!.value).toBe('5');
  });
});

describe('GET /metrics on a running server', () => {
  const peer = useSyncPeer('rhizome-metrics-');

  it('serves process metrics, append latency and per-peer sync lag', async () => {
    const server = await startServer(
      testConfig({
        RHIZOME_NODE_ID: 'node-m',
        RHIZOME_PEERS: syncUrl(peer.a()),
        RHIZOME_PEER_TOKEN: TOKENS.peer,
      }),
      { logger: silentLogger, store: createMemoryStore() },
    );
    try {
      const put = await fetch(`${server.url}/api/entities/m1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ properties: { name: 'measured' } }),
      });
      expect(put.status).toBe(200);
      const families = await eventually(async () => {
        const response = await fetch(`${server.url}/metrics`);
        expect(response.headers.get('content-type')).toContain('text/plain');
        const parsed = parse(await response.text());
        const connected = parsed.get('rhizome_sync_peer_connected')?.metrics;
        // The node-wide counters add up every link: the write has gone to the peer.
        const sent = Number(parsed.get('rhizome_sync_deltas_sent_total')?.metrics[0]?.value ?? 0);
        return connected?.some((sample) => sample.value === '1') === true && sent >= 1
          ? parsed
          : undefined;
      }, 'the sync link to show as connected, and the write as sent, in /metrics');
      for (const name of [
        'rhizome_sync_deltas_received_total',
        'rhizome_sync_deltas_stored_total',
        'rhizome_sync_ids_announced_total',
        'rhizome_sync_announcements_received_total',
        'rhizome_sync_announcements_wanted_total',
      ]) {
        expect(families.get(name)?.metrics[0]?.value, name).toMatch(/^\d+$/);
      }

      // prom-client's default process metrics.
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
        'nodejs_eventloop_lag_seconds',
        'nodejs_gc_duration_seconds',
      ]) {
        expect(families.has(name), name).toBe(true);
      }
      expect(families.get('rhizome_deltas_stored_total')!.metrics[0]!.value).toBe('1');
      const appends = families.get('rhizome_append_duration_seconds')!.metrics[0]!;
      expect(Number(appends.count)).toBeGreaterThanOrEqual(1);
      const lag = families.get('rhizome_sync_peer_lag')!.metrics;
      expect(lag).toContainEqual(
        expect.objectContaining({
          labels: { peer: 'node-a', direction: 'outbound' },
          value: expect.stringMatching(/^\d+$/),
        }),
      );
      const requests = families.get('rhizome_http_requests_total')!.metrics;
      expect(requests).toContainEqual(
        expect.objectContaining({
          labels: { method: 'PUT', route: '/api/entities/:id', status: '200' },
        }),
      );
    } finally {
      await server.close();
    }
  });
});
