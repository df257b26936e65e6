import type { Registry, RegistryContentType } from 'prom-client';

interface RouteTally {
  labels: { method: string; route: string };
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  buckets: number[];
  sum: number;
  count: number;
  byStatus: Map<number, number>;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
}

/**
 * `act2_http_requests_total{method,route,status_code}` and
 * `act2_http_request_duration_seconds{method,route}`, counted per request in plain numbers (two
 * Map lookups, an array slot) and written out in prom-client's format when scraped. prom-client's
 * own Counter and Histogram validate the labels and build a hash string on every call, about a
 * microsecond and a half of every request; a scrape is rare, a request is not.
 */
export class HttpRequestMetrics {
  readonly #bounds: readonly number[];
  readonly #byMethod = new Map<string, Map<string, RouteTally>>();

  constructor(registry: Registry<RegistryContentType>, buckets: readonly number[]) {
    this.#bounds = [...buckets].sort((a, b) => a - b);
    const counter = {
      name: 'act2_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      type: 'counter',
      aggregator: 'sum',
    } as const;
    const histogram = {
      name: 'act2_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern',
      type: 'histogram',
      aggregator: 'sum',
    } as const;
    // prom-client's registry renames a counter for OpenMetrics (`metric.name`), so the name is read
    // from the registered object at scrape time. The text formats take the histogram's series labels
    // apart (`sharedLabels`, as Histogram.getForPromString gives them); getMetricsAsJSON and the
    // cluster aggregator take them merged into `labels` (as Histogram.get gives them).
    const register = (meta: typeof counter | typeof histogram, values: () => ExportedValue[]) => {
      const metric = {
        ...meta,
        getForPromString: async () => ({ ...meta, name: metric.name, values: values() }),
        get: async () => ({ ...meta, name: metric.name, values: values().map(mergeSharedLabels) }),
        reset: () => this.#byMethod.clear(),
      };
      registry.registerMetric(metric as unknown as Parameters<Registry<RegistryContentType>['registerMetric']>[0]);
    };
    register(counter, () => this.#counterValues());
    register(histogram, () => this.#histogramValues());
  }

  /** One answered request. */
  record(method: string, route: string, statusCode: number, seconds: number): void {
    let byRoute = this.#byMethod.get(method);
    if (byRoute === undefined) this.#byMethod.set(method, (byRoute = new Map()));
    let tally = byRoute.get(route);
    if (tally === undefined) {
      tally = { labels: { method, route }, buckets: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0, byStatus: new Map() };
      byRoute.set(route, tally);
    }
    const bounds = this.#bounds;
    let at = 0;
    while (at < bounds.length && seconds > bounds[at]!) at += 1;
    tally.buckets[at]! += 1;
    tally.sum += seconds;
    tally.count += 1;
    tally.byStatus.set(statusCode, (tally.byStatus.get(statusCode) ?? 0) + 1);
  }

  *#tallies(): Iterable<RouteTally> {
    for (const byRoute of this.#byMethod.values()) yield* byRoute.values();
  }

  #counterValues(): ExportedValue[] {
    const values: ExportedValue[] = [];
    for (const tally of this.#tallies()) {
      for (const [status, count] of tally.byStatus) values.push({ labels: { ...tally.labels, status_code: String(status) }, value: count });
    }
    return values;
  }

  // As prom-client's Histogram writes them: cumulative buckets by `le`, +Inf, then _sum and _count.
  #histogramValues(): ExportedValue[] {
    const name = 'act2_http_request_duration_seconds';
    const values: ExportedValue[] = [];
    for (const tally of this.#tallies()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += tally.buckets[i]!;
        values.push({ labels: { le: bound }, sharedLabels: tally.labels, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: tally.labels, value: tally.count, metricName: `${name}_bucket` },
        { labels: {}, sharedLabels: tally.labels, value: tally.sum, metricName: `${name}_sum` },
        { labels: {}, sharedLabels: tally.labels, value: tally.count, metricName: `${name}_count` },
      );
    }
    return values;
  }
}

function mergeSharedLabels({ sharedLabels, ...value }: ExportedValue): ExportedValue {
  return sharedLabels === undefined ? value : { ...value, labels: { ...value.labels, ...sharedLabels } };
}
