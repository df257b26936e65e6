import { API_PREFIX, EventList, EventListQuery } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { listEvents } from './repository.js';

export const eventRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(`${API_PREFIX}/events`, { config: { scope: 'read' }, schema: { querystring: EventListQuery, response: { 200: EventList } } }, async (request) => {
    const { cursor, since, ...filter } = request.query;
    const afterId = cursor === undefined ? undefined : decodeCursor(cursor, ['number'] as const)[0];
    const { items, lastId } = await listEvents(ctx.db, {
      ...filter,
      afterId,
      since,
    });
    return { items, next_cursor: lastId === null ? null : encodeCursor([lastId]) };
  });
};
