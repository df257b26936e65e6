import type { Scope } from '@act2/shared';

/**
 * What a route needs from the caller, declared as fastify route config (`config: { scope }`) and
 * enforced by the auth plugin (src/auth/plugin.ts). `public`: no credential (health checks, the
 * console's page and assets, the API description).
 */
export type RouteScope = Scope;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Callers the auth plugin lets through without a credential, given the client address
     * (`request.ip`): the `--metrics-allow` CIDRs of `/metrics`, so a Prometheus needs no token.
     */
    allowWithoutCredential?: (ip: string) => boolean;
  }
}
