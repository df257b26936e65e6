import { API_PREFIX, RebindResponse, SnParams, TokenList } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { describePrincipal } from './principal.js';
import { rebindMaster } from './rebind.js';
import { listTokens, toApiToken } from './tokens.js';

/**
 * The admin API (scope `admin`): what the CLI does, for consoles. Tokens are created only with the
 * CLI (a secret is printed once, on the operator's terminal, never in an HTTP answer).
 */
export const adminRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(`${API_PREFIX}/tokens`, { config: { scope: 'admin' }, schema: { response: { 200: TokenList } } }, async () => {
    const now = Date.now();
    return { items: (await listTokens(ctx.db)).map((token) => toApiToken(token, now)) };
  });

  app.post(
    `${API_PREFIX}/masters/:sn/rebind`,
    { config: { scope: 'admin' }, schema: { params: SnParams, response: { 200: RebindResponse } } },
    async (request) => {
      const { sn } = request.params;
      const by = describePrincipal(request.principal);
      const result = await rebindMaster(ctx.db, sn, { by, instanceId: ctx.config.instanceId, at: await ctx.clock(ctx.db) });
      if (result.released) request.log.warn({ sn, by, enrolledBy: result.enrolledBy }, 'master key released (rebind)');
      return { sn, released: result.released, enrolled_by: result.enrolledBy ?? null };
    },
  );
};
