import { z } from 'zod';

/**
 * What a credential may do. Every route of act2-server declares exactly one of these in its
 * fastify route config (`config: { scope }`); a route without one is refused.
 * - `register`: POST a master's registration (the agents' enroll token)
 * - `read`: the read API and /metrics
 * - `jobs`: run salt jobs through act2
 * - `admin`: tokens, rebinding and deleting masters
 * - `public`: no credential (health checks, pages and documents that hold no data)
 */
export const Scope = z.enum(['register', 'read', 'jobs', 'admin', 'public']);
export type Scope = z.infer<typeof Scope>;

/** The scopes a token can carry (`public` needs no token). */
export const TokenScope = Scope.exclude(['public']);
export type TokenScope = z.infer<typeof TokenScope>;

/** Prefix of an API token (`act2t_` + 43 base64url characters: 256 random bits). */
export const TOKEN_PREFIX = 'act2t_';
/** Prefix of a per-master key, returned once by a master's first registration. */
export const MASTER_KEY_PREFIX = 'act2k_';
