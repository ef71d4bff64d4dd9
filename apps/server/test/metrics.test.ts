import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.ts';

const stats = {
  deltasStored: 3,
  deltasDuplicate: 1,
  writeBatches: 2,
  subscriptions: 1,
  deltasInViews: 3,
  subscribersDropped: 0,
};

describe('createMetrics', () => {
  it('renders counters, a latency histogram and node gauges in Prometheus text format', () => {
    let time = 1_000;
    const metrics = createMetrics(() => time);
    metrics.observeRequest('GET', '/api/entities/:id', 200, 0.003);
    metrics.observeRequest('GET', '/api/entities/:id', 200, 0.2);
    metrics.observeRequest('POST', 'route "quoted"', 400, 0.001);
    time = 3_500;
    const text = metrics.render(stats);
    const labels = 'method="GET",route="/api/entities/:id",status="200"';
    expect(text).toContain(`rhizome_http_requests_total{${labels}} 2`);
    expect(text).toContain(`rhizome_http_request_duration_seconds_bucket{${labels},le="0.005"} 1`);
    expect(text).toContain(`rhizome_http_request_duration_seconds_bucket{${labels},le="0.25"} 2`);
    expect(text).toContain(`rhizome_http_request_duration_seconds_bucket{${labels},le="+Inf"} 2`);
    expect(text).toContain(`rhizome_http_request_duration_seconds_count{${labels}} 2`);
    expect(text).toContain('route="route \\"quoted\\""');
    expect(text).toContain('# TYPE rhizome_http_request_duration_seconds histogram');
    expect(text).toContain('rhizome_deltas_stored_total 3');
    expect(text).toContain('rhizome_uptime_seconds 2.5');
    expect(text.endsWith('\n')).toBe(true);
  });
});
