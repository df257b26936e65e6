import { REGISTER_PATH, RegisterRequest, RegisterResponse } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { registerMaster } from './service.js';

/** `POST /register`: seed 000's endpoint, where every act2-heartbeat reports. */
export const registerRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(REGISTER_PATH, { schema: { body: RegisterRequest, response: { 200: RegisterResponse } } }, async (request) =>
    registerMaster(
      {
        db: ctx.db,
        clock: ctx.clock,
        box: ctx.box,
        instanceId: ctx.config.instanceId,
        masterTimeoutMs: ctx.config.masterTimeoutMs,
        log: request.log,
      },
      request.body,
    ),
  );
};
