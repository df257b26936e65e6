import type { FastifyInstance } from 'fastify';

/**
 * Once the app is closing, every answer carries `Connection: close`, so a keep-alive connection
 * whose request was in flight when SIGTERM came is closed by its answer. fastify closes the
 * connections idle at that moment, and answers new requests 503 (return503OnClosing), but a
 * connection that becomes idle later stayed open until the client left or the keep-alive timeout
 * passed: the server waited the whole --shutdown-timeout and exited 1.
 */
export function registerConnectionClose(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing && !reply.raw.headersSent) reply.header('connection', 'close');
    done(null, payload);
  });
  // An answer whose headers had already left when closing began: its connection is closed once idle.
  app.addHook('onResponse', (_request, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });
}
