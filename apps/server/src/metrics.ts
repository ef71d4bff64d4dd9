import type { NodeStats } from '@rhizome/api';

/**
 * Prometheus text exposition (format 0.0.4), written by hand: a handful of series does not
 * justify a metrics library.
 */
export interface Metrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  render(stats: NodeStats): string;
}

/** Latency buckets (seconds): fine below 100 ms, where a healthy node answers. */
export const DURATION_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

interface RequestSeries {
  readonly labels: string;
  count: number;
  sum: number;
  readonly buckets: number[];
}

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function createMetrics(now: () => number = Date.now): Metrics {
  const started = now();
  const requests = new Map<string, RequestSeries>();
  return {
    observeRequest(method, route, status, seconds) {
      const labels = `method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`;
      let series = requests.get(labels);
      if (series === undefined) {
        series = { labels, count: 0, sum: 0, buckets: DURATION_BUCKETS.map(() => 0) };
        requests.set(labels, series);
      }
      series.count++;
      series.sum += seconds;
      DURATION_BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) series.buckets[i]!++;
      });
    },
    render(stats) {
      const lines: string[] = [];
      const header = (name: string, type: string, help: string) =>
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      const single = (name: string, type: string, help: string, value: number) => {
        header(name, type, help);
        lines.push(`${name} ${value}`);
      };
      const series = [...requests.values()];
      header(
        'rhizome_http_requests_total',
        'counter',
        'HTTP requests by method, route and status.',
      );
      for (const s of series) lines.push(`rhizome_http_requests_total{${s.labels}} ${s.count}`);
      header('rhizome_http_request_duration_seconds', 'histogram', 'Time to answer HTTP requests.');
      for (const s of series) {
        DURATION_BUCKETS.forEach((bound, i) =>
          lines.push(
            `rhizome_http_request_duration_seconds_bucket{${s.labels},le="${bound}"} ${s.buckets[i]}`,
          ),
        );
        lines.push(
          `rhizome_http_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`,
        );
        lines.push(`rhizome_http_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
        lines.push(`rhizome_http_request_duration_seconds_count{${s.labels}} ${s.count}`);
      }
      single(
        'rhizome_deltas_stored_total',
        'counter',
        'Deltas newly stored by this process.',
        stats.deltasStored,
      );
      single(
        'rhizome_deltas_duplicate_total',
        'counter',
        'Deltas received that were already stored.',
        stats.deltasDuplicate,
      );
      single(
        'rhizome_write_batches_total',
        'counter',
        'Write batches committed.',
        stats.writeBatches,
      );
      single(
        'rhizome_subscribers_dropped_total',
        'counter',
        'Raw-stream subscribers dropped for falling behind.',
        stats.subscribersDropped,
      );
      single('rhizome_subscriptions', 'gauge', 'Open subscriptions.', stats.subscriptions);
      single(
        'rhizome_view_deltas',
        'gauge',
        'Deltas held by the in-memory view store.',
        stats.deltasInViews,
      );
      single(
        'rhizome_uptime_seconds',
        'gauge',
        'Seconds since the server started.',
        (now() - started) / 1000,
      );
      return `${lines.join('\n')}\n`;
    },
  };
}
