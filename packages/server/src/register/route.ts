import { API_PREFIX, REGISTER_PATH, RegisterRequest, RegisterResponse } from '@act2/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { clientCertificateCn } from '../auth/plugin.js';
import type { AppContext } from '../context.js';
import { HttpError } from '../http/http-error.js';
import { LargeJsonBody } from './offload.js';
import { registerMaster } from './service.js';
import { validateRegistration } from './validate.js';

/**
 * `POST /register` is seed 000's endpoint; the original act2 (idcos/cloud-act2) serves the same
 * call at `/api/v1/register`, so installs that point heartbeats at `http://act2…/api/v1` keep working.
 */
export const REGISTER_ROUTES = [REGISTER_PATH, `${API_PREFIX}${REGISTER_PATH}`] as const;

/** `POST /register` (and its original-act2 alias): where every act2-heartbeat reports. */
export const registerRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  // The body is validated by validateRegistration, not a route schema: it must stop early on a
  // hopeless payload and yield on a huge one, which a schema validator does not.
  for (const url of REGISTER_ROUTES) {
    app.post(
      url,
      {
        config: { scope: 'register' },
        // `body` is here for the API description (/openapi.json) only: this route's validator lets
        // every body through to validateRegistration.
        schema: { body: RegisterRequest, response: { 200: RegisterResponse } },
        validatorCompiler: () => (data: unknown) => ({ value: data }),
      },
      async (request) => {
        // A huge body comes as bytes, parsed and checked in a worker (offload.ts, body.ts).
        const offloaded = request.body instanceof LargeJsonBody && ctx.offloader ? await ctx.offloader.prepare(request.body) : undefined;
        let prepared: { count: number; digest: string | undefined } | undefined;
        try {
          const body = offloaded ? offloaded.request : await validateRegistration(request.body, { maxMinions: ctx.config.maxMinions });
          if (ctx.config.tlsClientCnIsSn) {
            // PuppetDB's model: the certificate names the master, whatever other credential came along.
            const cn = clientCertificateCn(request);
            if (cn !== body.master.sn) {
              throw new HttpError(403, 'ACT2_FORBIDDEN', `The client certificate (CN ${cn ?? 'none'}) does not name master ${body.master.sn}`);
            }
          }
          const result = await registerMaster(
            {
              db: ctx.db,
              clock: ctx.clock,
              box: ctx.box,
              instanceId: ctx.config.instanceId,
              masterTimeoutMs: ctx.config.masterTimeoutMs,
              log: request.log,
              principal: request.principal,
              onPrepared: (set) => {
                prepared = set;
              },
            },
            body,
            offloaded,
          );
          // Stored and answered: the same bytes again from this master need no preparing (AcceptedBodies).
          offloaded?.accepted();
          if (!offloaded && prepared) ctx.offloader?.rememberSmall(request, { envelope: { ...body, minions: [] }, listed: body.minions.length, ...prepared });
          ctx.metrics.registrationMinionsChanged.observe(result.minions.joined + result.minions.left + result.minions.changed);
          return result;
        } finally {
          // The worker goes back to the offloader, for the next huge registration or to exit.
          offloaded?.close();
        }
      },
    );
  }
};
