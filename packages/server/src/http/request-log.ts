import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Query parameters of the read API whose values are safe to log (filters and paging, never credentials). */
const LOGGED_PARAMS = ['status', 'idc', 'type', 'master', 'kind', 'since', 'ip', 'limit', 'order'] as const;
const MAX_LOGGED_VALUE = 256;

/**
 * One log line per request, written when the response is done (fastify's own request logging is
 * off). Method, route, client address, status and timing, plus the known filter parameters: never the raw URL (a
 * client may put a token in any query parameter), headers or bodies, which carry credentials.
 */
export function registerRequestLog(app: FastifyInstance): void {
  // A callback hook: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    logResponse(request, reply);
    done();
  });
}

function logResponse(request: FastifyRequest, reply: FastifyReply): void {
  // A successful read is the bulk of the traffic and tells an operator nothing: debug. Writes
  // and every failure stay at info (a synchronous write per read cost ~7% of a read's CPU).
  const level = request.method === 'GET' && reply.statusCode < 400 ? 'debug' : 'info';
  if (level === 'debug' && request.log.level !== 'debug' && request.log.level !== 'trace') return;
  const query = loggedQuery(request);
  request.log[level](
    {
      method: request.method,
      // The client's address: the peer, or with --trust-proxy the X-Forwarded-For client.
      remoteAddress: request.ip,
      route: request.routeOptions.url ?? null,
      ...(query ? { query } : {}),
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      contentLength: request.headers['content-length'],
    },
    'request completed',
  );
}

/** The known, harmless query parameters as sent (clipped), or undefined when there are none. */
export function loggedQuery(request: Pick<FastifyRequest, 'url'>): Record<string, string> | undefined {
  const at = request.url.indexOf('?');
  if (at < 0) return undefined;
  const params = new URLSearchParams(request.url.slice(at + 1));
  const logged: Record<string, string> = {};
  for (const name of LOGGED_PARAMS) {
    const value = params.get(name);
    if (value !== null) logged[name] = value.length > MAX_LOGGED_VALUE ? `${value.slice(0, MAX_LOGGED_VALUE)}…` : value;
  }
  return Object.keys(logged).length > 0 ? logged : undefined;
}
