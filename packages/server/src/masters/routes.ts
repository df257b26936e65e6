import { API_PREFIX, MasterDeleted, MasterDetail, MasterList, MasterListQuery, SnParams } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { HttpError } from '../http/http-error.js';
import { withTxRetry } from '../db/retry.js';
import '../http/route-scope.js';
import { deleteMasters } from '../sweep/purge.js';
import { getMasterDetail, listMasters } from './repository.js';

export const masterRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const timeout = ctx.config.masterTimeoutMs;

  app.get(`${API_PREFIX}/masters`, { config: { scope: 'read' }, schema: { querystring: MasterListQuery, response: { 200: MasterList } } }, async (request) => {
    const { cursor, ...filter } = request.query;
    const afterSn = cursor === undefined ? undefined : decodeCursor(cursor, ['string'] as const)[0];
    const { items, lastSn } = await listMasters(ctx.db, { ...filter, afterSn }, await ctx.readClock(ctx.db), timeout);
    return { items, next_cursor: lastSn === null ? null : encodeCursor([lastSn]) };
  });

  app.get(`${API_PREFIX}/masters/:sn`, { config: { scope: 'read' }, schema: { params: SnParams, response: { 200: MasterDetail } } }, async (request) => {
    const detail = await getMasterDetail(ctx.db, request.params.sn, await ctx.readClock(ctx.db), timeout);
    if (!detail) throw new HttpError(404, 'ACT2_NOT_FOUND', 'No such master');
    return detail;
  });

  // A master retired by hand: gone now, whatever its status, recorded as master.purged.
  app.delete(
    `${API_PREFIX}/masters/:sn`,
    { config: { scope: 'admin' }, schema: { params: SnParams, response: { 200: MasterDeleted } } },
    async (request) => {
      const [purged] = await withTxRetry(() =>
        ctx.db.transaction().execute(async (trx) =>
          deleteMasters(trx, [request.params.sn], { reason: 'api' }, { now: await ctx.clock(trx), instanceId: ctx.config.instanceId }),
        ),
      );
      if (!purged) throw new HttpError(404, 'ACT2_NOT_FOUND', 'No such master');
      request.log.info({ sn: purged.sn, event: 'master.purged', minions: purged.minions.length }, 'master deleted by request');
      return { sn: purged.sn, minions_purged: purged.minions.length };
    },
  );
};
