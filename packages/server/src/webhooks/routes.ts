import { API_PREFIX, WebhookDeliveryList, WebhookDeliveryListQuery } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import '../http/route-scope.js';
import { listDeliveries } from './outbox.js';

/** `GET /api/v1/webhooks/deliveries`: every delivery, newest first: what was sent, what failed and why. */
export const webhookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    `${API_PREFIX}/webhooks/deliveries`,
    { config: { scope: 'read' }, schema: { querystring: WebhookDeliveryListQuery, response: { 200: WebhookDeliveryList } } },
    async (request) => {
      const { cursor, status, limit } = request.query;
      const beforeId = cursor === undefined ? undefined : decodeCursor(cursor, ['number'] as const)[0];
      const { items, lastId } = await listDeliveries(ctx.db, { status, beforeId, limit });
      return { items, next_cursor: lastId === null ? null : encodeCursor([lastId]) };
    },
  );
};
