import type { FastifyInstance } from 'fastify';
import { isDbTimeout, isDbUnavailable } from '../http/errors.js';
import { REGISTER_ROUTES } from '../register/route.js';
import '../http/route-scope.js';
import { createAddressList } from './address-list.js';
import type { Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';
const REGISTER_URLS = new Set<string>(REGISTER_ROUTES);

/** The label of a request no route matched: unbounded URLs must not become label values. */
const UNMATCHED = '(unmatched)';

/** Counts every request, registration and database error, and serves `GET /metrics`. */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, options: { allow: readonly string[] }): void {
  // A callback hook: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED;
    const seconds = reply.elapsedTime / 1000;
    metrics.http.record(request.method, route, reply.statusCode, seconds);
    if (REGISTER_URLS.has(route) && request.method === 'POST') {
      const outcome = reply.statusCode < 300 ? 'accepted' : reply.statusCode < 500 ? 'rejected' : 'failed';
      metrics.registrations.inc({ outcome });
      if (outcome === 'accepted') metrics.registrationDuration.observe(seconds);
    }
    done();
  });
  app.addHook('onError', async (_request, _reply, err) => {
    const kind = dbErrorKind(err);
    if (kind) metrics.dbErrors.inc({ kind });
  });

  const allowed = createAddressList(options.allow);
  app.get(
    METRICS_PATH,
    { config: { scope: 'read', allowWithoutCredential: allowed }, schema: { hide: true } },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
}

/** `unavailable` / `timeout` for database errors, undefined for everything else. */
export function dbErrorKind(err: unknown): 'unavailable' | 'timeout' | undefined {
  if (isDbTimeout(err)) return 'timeout';
  if (isDbUnavailable(err)) return 'unavailable';
  return undefined;
}
