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

/** A token as the admin API lists it: never its secret, never its hash. */
export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(TokenScope),
  /** A register token limited to this idc, or null. */
  idc: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  state: z.enum(['active', 'expired', 'revoked']),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const TokenList = z.object({ items: z.array(ApiToken) });
export type TokenList = z.infer<typeof TokenList>;

/** `POST /api/v1/masters/{sn}/rebind`: whether a key was bound (and is now released). */
export const RebindResponse = z.object({
  sn: z.string(),
  released: z.boolean(),
  /** Who had enrolled it (`token:<name>`), when a key was released. */
  enrolled_by: z.string().nullable(),
});
export type RebindResponse = z.infer<typeof RebindResponse>;
