import { API_PREFIX, LookupQuery, LookupResponse, MinionDetail, MinionList, MinionListQuery, SnParams } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { compiledSerializer } from '../http/fast-serializer.js';
import { HttpError } from '../http/http-error.js';
import { andThen } from '../maybe-promise.js';
import { dottedIpv4Query, plainSnParams, quickValidator, unchanged } from '../http/quick-validator.js';
import { getMinionDetail, listMinions, lookupByIp } from './repository.js';

export const minionRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const timeout = ctx.config.masterTimeoutMs;

  app.get(`${API_PREFIX}/minions`, { config: { scope: 'read' }, schema: { querystring: MinionListQuery, response: { 200: MinionList } } }, async (request) => {
    const { cursor, ...filter } = request.query;
    const afterSn = cursor === undefined ? undefined : decodeCursor(cursor, ['string'] as const)[0];
    const { items, lastSn } = await listMinions(ctx.db, { ...filter, afterSn }, await ctx.readClock(ctx.db), timeout);
    return { items, next_cursor: lastSn === null ? null : encodeCursor([lastSn]) };
  });

  // The two hot reads answer synchronously when they can (SQLite, clock offset fresh): fastify
  // then sends the value at once, with no promise or microtask per step.
  const found = (detail: MinionDetail | undefined): MinionDetail => {
    if (!detail) throw new HttpError(404, 'ACT2_NOT_FOUND', 'No master reports this minion');
    return detail;
  };
  app.get(`${API_PREFIX}/minions/:sn`, { config: { scope: 'read' }, validatorCompiler: quickValidator('params', unchanged(plainSnParams)), serializerCompiler: compiledSerializer, schema: { params: SnParams, response: { 200: MinionDetail } } }, (request) => {
    const { sn } = request.params;
    return andThen(andThen(ctx.readClock(ctx.db), (now) => getMinionDetail(ctx.db, sn, now, timeout)), found);
  });

  app.get(`${API_PREFIX}/lookup`, { config: { scope: 'read' }, validatorCompiler: quickValidator('querystring', unchanged(dottedIpv4Query)), serializerCompiler: compiledSerializer, schema: { querystring: LookupQuery, response: { 200: LookupResponse } } }, (request) => {
    const { ip } = request.query;
    const answer = (items: MinionDetail[]): LookupResponse => {
      if (items.length === 0) throw new HttpError(404, 'ACT2_NOT_FOUND', 'No minion is known by this IP');
      return { ip, items };
    };
    return andThen(andThen(ctx.readClock(ctx.db), (now) => lookupByIp(ctx.db, ip, now, timeout)), answer);
  });
};
