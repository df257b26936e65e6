import { API_PREFIX, REGISTER_PATH, RegisterRequest, RegisterResponse } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { clientCertificateCn } from '../auth/plugin.js';
import type { AppContext } from '../context.js';
import { HttpError } from '../http/http-error.js';
import { registerMaster } from './service.js';

/**
 * `POST /register` is seed 000's endpoint; the original act2 (idcos/cloud-act2) serves the same
 * call at `/api/v1/register`, so installs that point heartbeats at `http://act2…/api/v1` keep working.
 */
export const REGISTER_ROUTES = [REGISTER_PATH, `${API_PREFIX}${REGISTER_PATH}`] as const;

/** `POST /register` (and its original-act2 alias): where every act2-heartbeat reports. */
export const registerRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  for (const url of REGISTER_ROUTES) {
    app.post(url, { config: { scope: 'register' }, schema: { body: RegisterRequest, response: { 200: RegisterResponse } } }, async (request) => {
      if (ctx.config.tlsClientCnIsSn) {
        // PuppetDB's model: the certificate names the master, whatever other credential came along.
        const cn = clientCertificateCn(request);
        if (cn !== request.body.master.sn) {
          throw new HttpError(403, 'ACT2_FORBIDDEN', `The client certificate (CN ${cn ?? 'none'}) does not name master ${request.body.master.sn}`);
        }
      }
      return registerMaster(
        {
          db: ctx.db,
          clock: ctx.clock,
          box: ctx.box,
          instanceId: ctx.config.instanceId,
          masterTimeoutMs: ctx.config.masterTimeoutMs,
          log: request.log,
          principal: request.principal,
        },
        request.body,
      );
    });
  }
};
