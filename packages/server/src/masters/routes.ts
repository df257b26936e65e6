import { API_PREFIX, MasterDetail, MasterList, MasterListQuery, SnParams } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { HttpError } from '../http/http-error.js';
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
};
