import type { FastifyInstance } from 'fastify';

/**
 * One log line per request, written when the response is done (fastify's own request logging is
 * off). Only method, route, status and timing: never headers or bodies, which carry credentials.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        route: request.routeOptions.url,
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        contentLength: request.headers['content-length'],
      },
      'request completed',
    );
  });
}
