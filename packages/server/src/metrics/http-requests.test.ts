import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpRequestMetrics } from './http-requests.js';
import { HTTP_DURATION_BUCKETS } from './metrics.js';

const requests: Array<[string, string, number, number]> = [
  ['GET', '/api/v1/minions/:sn', 200, 0.0004],
  ['GET', '/api/v1/minions/:sn', 200, 0.001],
  ['GET', '/api/v1/minions/:sn', 404, 0.0123],
  ['POST', '/api/v1/register', 200, 0.2],
  ['GET', '(unmatched)', 404, 42],
  ['GET', '/api/v1/lookup', 200, 5],
];

/** The exposition lines, in a stable order (Prometheus does not care about the order of series). */
const lines = async (registry: Registry) => (await registry.metrics()).split('\n').filter(Boolean).sort();

describe('HttpRequestMetrics', () => {
  it("writes exactly what prom-client's Counter and Histogram write for the same requests", async () => {
    const expected = new Registry();
    const counter = new Counter({
      name: 'act2_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      registers: [expected],
    });
    const histogram = new Histogram({
      name: 'act2_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [...HTTP_DURATION_BUCKETS],
      registers: [expected],
    });
    const actual = new Registry();
    const metrics = new HttpRequestMetrics(actual, HTTP_DURATION_BUCKETS);

    for (const [method, route, status, seconds] of requests) {
      counter.inc({ method, route, status_code: String(status) });
      histogram.observe({ method, route }, seconds);
      metrics.record(method, route, status, seconds);
    }

    expect(await lines(actual)).toEqual(await lines(expected));
  });

  it('counts a value on a bucket bound in that bucket, and one above every bound only in +Inf', async () => {
    const registry = new Registry();
    const metrics = new HttpRequestMetrics(registry, [0.1, 1]);
    metrics.record('GET', '/x', 200, 0.1);
    metrics.record('GET', '/x', 200, 3);

    const text = await registry.metrics();

    expect(text).toContain('act2_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/x"} 1');
    expect(text).toContain('act2_http_request_duration_seconds_bucket{le="1",method="GET",route="/x"} 1');
    expect(text).toContain('act2_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/x"} 2');
    expect(text).toContain('act2_http_requests_total{method="GET",route="/x",status_code="200"} 2');
  });

  it('starts over when the registry is reset', async () => {
    const registry = new Registry();
    const metrics = new HttpRequestMetrics(registry, [1]);
    metrics.record('GET', '/x', 200, 0.5);

    registry.resetMetrics();

    expect(await registry.metrics()).not.toContain('route="/x"');
  });
});
