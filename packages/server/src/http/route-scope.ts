/**
 * What a route needs from the caller, declared as fastify route config (`config: { scope }`) and
 * enforced by the auth plugin. `public`: no credential (the console's page and assets, the API
 * description, health checks).
 */
export type RouteScope = 'read' | 'register' | 'jobs' | 'admin' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
    /**
     * Callers the scope check lets through without a credential (the `--metrics-allow` CIDRs of
     * `/metrics`, so a Prometheus needs no token). Given the client address (`request.ip`).
     */
    allowWithoutCredential?: (ip: string) => boolean;
  }
}
