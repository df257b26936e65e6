import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import '../http/route-scope.js';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

/**
 * The API description, generated from the zod schemas the routes validate with (no second copy):
 * `GET /openapi.json` (OpenAPI 3.1) and a reference page at `/docs`, whose swagger-ui assets come
 * from the installed package, not a CDN. Register BEFORE the routes: @fastify/swagger collects
 * them as they are added.
 */
export async function registerOpenApi(app: FastifyInstance, options: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'act2-server',
        version: options.version,
        description: 'Registry of salt-masters and their minions: registrations from act2-heartbeat, lookups, events.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (scopes: read, register, jobs, admin)' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.get(OPENAPI_PATH, { config: { scope: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (docs) => {
      // swagger-ui adds its own routes (page, assets, /docs/json); they hold no data.
      docs.addHook('onRoute', (route) => {
        route.config = { ...route.config, scope: 'public' };
      });
      await docs.register(swaggerUi, { routePrefix: DOCS_PATH, uiConfig: { url: OPENAPI_PATH, deepLinking: true } });
    },
  );
}
