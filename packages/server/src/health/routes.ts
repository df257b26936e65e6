import { Health, Ready } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { dialectOf } from '../db/dialects/index.js';

/** For nginx and load balancers: `/healthz` = the process answers, `/readyz` = it can reach its database. */
export const healthRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const database = dialectOf(ctx.db).name;

  app.get('/healthz', { config: { scope: 'public' }, schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { config: { scope: 'public' }, schema: { response: { 200: Ready, 503: Ready } } }, async (request, reply) => {
    try {
      await sql`select 1`.execute(ctx.db);
      return { status: 'ok' as const, database };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed: database unreachable');
      return reply.code(503).send({ status: 'unavailable', database });
    }
  });
};
