import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import '../http/route-scope.js';

/**
 * Where the built console is: beside the bundle (`dist/console/`, also inside the release
 * tarball), or the package's dist/ when running from sources (tests, `tsx`).
 */
export function defaultConsoleDir(): string | undefined {
  const candidates = [fileURLToPath(new URL('./console/', import.meta.url)), fileURLToPath(new URL('../../dist/console/', import.meta.url))];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** Page and assets hold no data (every data call carries the signed-in token), and stay out of the API description. */
function markPublic(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, scope: 'public' };
    route.schema = { ...route.schema, hide: true } as typeof route.schema;
  });
}

/** The web console at `/`: static files built by console/build.mjs, served by act2-server itself. */
export async function registerConsole(app: FastifyInstance, options: { dir: string | undefined }): Promise<void> {
  await app.register(async (scope) => {
    markPublic(scope);
    if (options.dir === undefined) {
      scope.get('/', async (_request, reply) =>
        reply.code(503).type('text/plain').send('The web console is not built: run `pnpm build` (it writes dist/console/).\n'),
      );
      return;
    }
    await scope.register(fastifyStatic, {
      root: options.dir,
      prefix: '/',
      // One route per file, found at start: no catch-all that would answer unknown API paths.
      wildcard: false,
      index: 'index.html',
      setHeaders: (res) => {
        // Everything the page loads comes from this server; the API is same-origin too.
        res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        res.setHeader('x-content-type-options', 'nosniff');
      },
    });
  });
}
