import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';
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
const lines = async (registry: Registry<RegistryContentType>) => (await registry.metrics()).split('\n').filter(Boolean).sort();

/** The same requests, once through prom-client's own Counter and Histogram, once through ours. */
function bothRegistries(openMetrics = false) {
  const expected = new Registry<RegistryContentType>();
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
  const actual = new Registry<RegistryContentType>();
  if (openMetrics) for (const registry of [expected, actual]) registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const metrics = new HttpRequestMetrics(actual, HTTP_DURATION_BUCKETS);

  for (const [method, route, status, seconds] of requests) {
    counter.inc({ method, route, status_code: String(status) });
    histogram.observe({ method, route }, seconds);
    metrics.record(method, route, status, seconds);
  }
  return { expected, actual };
}

/** getMetricsAsJSON's series as name, labels and value (what the cluster aggregator merges on), in a stable order. */
const series = async (registry: Registry<RegistryContentType>) =>
  (await registry.getMetricsAsJSON()).map(({ name, type, help, values }) => ({
    name,
    type,
    help,
    values: values
      .map((v: { metricName?: string; labels: object; value: number }) => ({ metricName: v.metricName ?? name, labels: v.labels, value: v.value }))
      .sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
  }));
const sortKey = (v: { metricName: string; labels: object }) => `${v.metricName}${JSON.stringify(Object.entries(v.labels).sort())}`;

describe('HttpRequestMetrics', () => {
  it("writes exactly what prom-client's Counter and Histogram write for the same requests", async () => {
    const { expected, actual } = bothRegistries();

    expect(await lines(actual)).toEqual(await lines(expected));
  });

  it("writes what prom-client writes in the OpenMetrics format too (the counter's name without _total, its series with it)", async () => {
    const { expected, actual } = bothRegistries(true);

    const text = await lines(actual);
    expect(text).toEqual(await lines(expected));
    expect(text).toContain('# TYPE act2_http_requests counter');
  });

  it("gives getMetricsAsJSON (the cluster aggregator's input) prom-client's series, labels merged", async () => {
    const { expected, actual } = bothRegistries();

    expect(await series(actual)).toEqual(await series(expected));
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
