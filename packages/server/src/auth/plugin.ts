import type { TLSSocket } from 'node:tls';
import { Scope, type ErrorBody, type ErrorCode } from '@act2/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import { createCredentialCache } from './credential-cache.js';
import { createFailureLimiter } from './failure-limiter.js';
import '../http/route-scope.js';
import { readAuthEpoch } from './epoch.js';
import { findMasterByKeyHash } from './master-keys.js';
import type { Principal } from './principal.js';
import { credentialKind, hashSecret } from './secrets.js';
import { countUsableTokens, findTokenByHash, touchToken, type TokenInfo } from './tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a caller needs to reach this route. Every route declares one; a route without is refused. */
    scope?: Scope;
  }
  interface FastifyInstance {
    /** Every route registered so far with the scope it declared (undefined: none, refused). */
    routeScopes(): ReadonlyArray<{ method: string; url: string; scope: Scope | undefined }>;
  }
  interface FastifyRequest {
    /** Who sent the request, set by the auth plugin before any handler runs. */
    principal: Principal;
  }
}

export type AuthMode = 'tokens' | 'none';

export interface AuthOptions {
  db: Kysely<Database>;
  /** `none` lets every request through (development only; warned at every start). */
  mode: AuthMode;
  /** Registrations without any credential are accepted as `anonymous` (the original heartbeat.py). */
  allowAnonymousRegister: boolean;
  /**
   * How often the auth epoch is polled (a revocation or rebind takes effect within it) and how long
   * an unknown credential is remembered; 0 caches nothing (every request looks its credential up).
   */
  cacheTtlMs: number;
  /** Failed attempts per address and window before that address gets 429. */
  failureLimit: { max: number; windowMs: number };
  /** A verified client certificate's CN names the master sn it may register (`--tls-client-cn-is-sn`). */
  clientCnIsSn: boolean;
  /** Wall clock for expiry, cache and rate limit (tests move it). */
  now?: () => number;
}

/** Codes that, thrown by a handler, count as a failed attempt for the rate limit. */
const FAILURE_CODES: ReadonlySet<ErrorCode> = new Set(['ACT2_UNAUTHORIZED', 'ACT2_FORBIDDEN', 'ACT2_MASTER_BOUND']);
/** Longest a credential found valid stays cached when the epoch does not move. */
const POSITIVE_TTL_MS = 5 * 60_000;
/** last_used_at is written at most this often per token and instance. */
const TOUCH_INTERVAL_MS = 60_000;
const SCOPES: readonly string[] = Scope.options;

/** The verified client certificate's CN, when the request came over mutual TLS. */
export function clientCertificateCn(request: FastifyRequest): string | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  const value = Array.isArray(cn) ? cn[0] : cn;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Enforces every route's declared scope in one onRequest hook, before the body is even read:
 * 401 without a known credential, 403 with one that lacks the scope, 429 for an address that
 * failed too often. Sets `request.principal` for the handlers.
 */
export const authPlugin = fp<AuthOptions>(
  async (app, options) => {
    const now = options.now ?? Date.now;
    // With --auth-cache 0 nothing is cached at all; otherwise a good credential stays cached until
    // the epoch moves (or 5 minutes, hygiene), an unknown one for --auth-cache.
    const ttls = { positiveTtlMs: options.cacheTtlMs > 0 ? POSITIVE_TTL_MS : 0, negativeTtlMs: options.cacheTtlMs };
    const tokens = createCredentialCache<TokenInfo>(ttls);
    const keys = createCredentialCache<{ sn: string; idc: string | null }>(ttls);
    let epoch: number | undefined;
    let epochTimer: NodeJS.Timeout | undefined;
    let epochRead: Promise<void> | undefined;
    const refreshEpoch = async () => {
      try {
        const current = await readAuthEpoch(options.db);
        if (current === epoch) return;
        epoch = current;
      } catch (err) {
        // Cannot tell whether something was revoked: trust nothing cached (fail closed).
        epoch = undefined;
        log.warn({ err }, 'could not read the auth epoch: cached credentials dropped');
      }
      tokens.clear();
      keys.clear();
    };
    const limiter = createFailureLimiter(options.failureLimit);
    const touched = new Map<string, number>();
    const pending = new Set<Promise<void>>();
    const log = app.log.child({ module: 'auth' });

    app.decorateRequest('principal', null as never);

    const routes: Array<{ method: string | string[]; url: string; config?: unknown }> = [];
    // Read when asked: a plugin's own onRoute hook (swagger-ui, @fastify/static) may still set the
    // scope of the routes it adds after this hook has seen them.
    app.decorate('routeScopes', () =>
      routes.flatMap((route) =>
        [route.method].flat().map((method) => ({ method, url: route.url, scope: (route.config as { scope?: Scope } | undefined)?.scope })),
      ),
    );
    app.addHook('onRoute', (route) => {
      routes.push(route);
      const scope = (route.config as { scope?: unknown } | undefined)?.scope;
      if (scope !== undefined && !SCOPES.includes(scope as string)) {
        throw new Error(`route ${route.method} ${route.url} declares unknown scope ${JSON.stringify(scope)}`);
      }
    });

    const deny = (
      request: FastifyRequest,
      reply: FastifyReply,
      status: 401 | 403 | 429,
      code: ErrorCode,
      message: string,
      fields: Record<string, unknown>,
    ) => {
      if (status !== 429) limiter.fail(request.ip, now());
      request.log.warn(
        { ip: request.ip, method: request.method, route: request.routeOptions.url, scope: request.routeOptions.config.scope, status, ...fields },
        status === 403 ? 'access denied' : 'authentication failed',
      );
      if (status === 401) reply.header('www-authenticate', 'Bearer realm="act2"');
      return reply.code(status).send({ code, message } satisfies ErrorBody);
    };

    const lookupToken = async (hash: string): Promise<TokenInfo | undefined> => {
      const cached = tokens.get(hash, now());
      if (cached) return cached.value;
      const generation = tokens.generation;
      const info = await findTokenByHash(options.db, hash);
      tokens.set(hash, info, now(), generation);
      return info;
    };
    const lookupKey = async (hash: string): Promise<{ sn: string; idc: string | null } | undefined> => {
      const cached = keys.get(hash, now());
      if (cached) return cached.value;
      const generation = keys.generation;
      const bound = await findMasterByKeyHash(options.db, hash);
      keys.set(hash, bound, now(), generation);
      return bound;
    };
    const touch = (id: string) => {
      const at = now();
      if (at - (touched.get(id) ?? -Infinity) < TOUCH_INTERVAL_MS) return;
      touched.set(id, at);
      const write = touchToken(options.db, id, at)
        .catch((err: unknown) => log.debug({ err, tokenId: id }, 'could not record token use'))
        .finally(() => pending.delete(write));
      pending.add(write);
    };

    /**
     * The verdicts that need no credential lookup, taken synchronously (most reads with
     * `--auth none`, every public route): true when the request is settled (let through or
     * answered), false when its credential must be checked.
     */
    const settledWithoutLookup = (request: FastifyRequest, reply: FastifyReply): boolean => {
      if (request.is404) {
        request.principal = { kind: 'anonymous' };
        return true;
      }
      // One read of routeOptions: fastify builds that object on every access.
      const config = request.routeOptions.config;
      const scope = config.scope;
      if (scope === undefined) {
        // Fail closed: a route someone forgot to classify is nobody's.
        request.log.error({ method: request.method, route: request.routeOptions.url }, 'route declares no scope: refused');
        reply.code(403).send({ code: 'ACT2_FORBIDDEN', message: 'This route declares no access scope and is refused' } satisfies ErrorBody);
        return true;
      }
      if (scope === 'public') {
        request.principal = { kind: 'anonymous' };
        return true;
      }
      // A route's own exception, e.g. /metrics for the --metrics-allow addresses (a Prometheus).
      if (config.allowWithoutCredential?.(request.ip)) {
        request.principal = { kind: 'anonymous' };
        return true;
      }
      if (options.mode === 'none') {
        request.principal = { kind: 'none' };
        return true;
      }
      return false;
    };

    const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const scope = request.routeOptions.config.scope;
      if (scope === undefined) return undefined; // settled above (refused)
      const waitMs = limiter.blockedFor(request.ip, now());
      if (waitMs > 0) {
        reply.header('retry-after', String(Math.ceil(waitMs / 1000)));
        return deny(request, reply, 429, 'ACT2_RATE_LIMITED', 'Too many failed authentication attempts from this address; retry later', { reason: 'rate-limited' });
      }

      const header = request.headers.authorization;
      if (header === undefined || header.trim() === '') {
        const cn = options.clientCnIsSn && scope === 'register' ? clientCertificateCn(request) : undefined;
        if (cn !== undefined) {
          request.principal = { kind: 'certificate', cn };
          return;
        }
        if (options.allowAnonymousRegister && scope === 'register') {
          request.principal = { kind: 'anonymous' };
          return;
        }
        return deny(request, reply, 401, 'ACT2_UNAUTHORIZED', 'This route needs a credential: send Authorization: Bearer <token>', { reason: 'missing' });
      }
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      const secret = match?.[1];
      const kind = secret === undefined ? undefined : credentialKind(secret);
      if (secret === undefined || kind === undefined) {
        return deny(request, reply, 401, 'ACT2_UNAUTHORIZED', 'The Authorization header is not Bearer with an act2 token or master key', { reason: 'malformed' });
      }
      const hash = hashSecret(secret);

      if (kind === 'master-key') {
        const bound = await lookupKey(hash);
        if (bound === undefined) {
          return deny(request, reply, 401, 'ACT2_UNAUTHORIZED', 'The master key is unknown (released by an admin rebind?)', { reason: 'unknown-master-key' });
        }
        if (scope !== 'register') {
          return deny(request, reply, 403, 'ACT2_FORBIDDEN', `A master key can only register its master; this route needs scope ${scope}`, { reason: 'scope', sn: bound.sn });
        }
        request.principal = { kind: 'master-key', sn: bound.sn, idc: bound.idc };
        return;
      }

      const token = await lookupToken(hash);
      const at = now();
      const unusable = !token ? 'unknown-token' : token.revokedAt !== null ? 'revoked' : token.expiresAt !== null && token.expiresAt <= at ? 'expired' : undefined;
      if (!token || unusable) {
        return deny(request, reply, 401, 'ACT2_UNAUTHORIZED', 'The token is unknown, revoked or expired', {
          reason: unusable,
          ...(token ? { tokenId: token.id, tokenName: token.name } : {}),
        });
      }
      if (!(token.scopes as readonly string[]).includes(scope)) {
        return deny(request, reply, 403, 'ACT2_FORBIDDEN', `The token "${token.name}" does not have scope ${scope}`, {
          reason: 'scope',
          tokenId: token.id,
          tokenName: token.name,
          scopes: token.scopes,
        });
      }
      request.principal = { kind: 'token', tokenId: token.id, name: token.name, scopes: token.scopes, idc: token.idc };
      touch(token.id);
      return undefined;
    };

    // A callback hook, not an async one: the settled cases cost no promise per request.
    app.addHook('onRequest', (request, reply, done) => {
      if (settledWithoutLookup(request, reply)) {
        done();
        return;
      }
      authenticate(request, reply).then(() => done(), done);
    });

    // A handler's verdict on the credential (a forged registration for a bound master, a token of
    // another idc) is a failed attempt too.
    app.addHook('onError', async (request, _reply, err) => {
      if (err instanceof HttpError && FAILURE_CODES.has(err.code)) limiter.fail(request.ip, now());
    });

    app.addHook('onReady', async () => {
      if (options.mode === 'tokens' && options.cacheTtlMs > 0) {
        await refreshEpoch();
        epochTimer = setInterval(() => {
          epochRead ??= refreshEpoch().finally(() => (epochRead = undefined));
        }, options.cacheTtlMs);
        epochTimer.unref();
      }
      if (options.mode === 'none') {
        log.warn(
          { auth: 'none' },
          'authentication is OFF (--auth none): anyone who can reach this server can register, read and rewrite masters; use it for development only',
        );
        return;
      }
      if (options.allowAnonymousRegister) {
        log.warn({ allowAnonymousRegister: true }, 'registrations without a credential are accepted as anonymous (they can never change a master bound to a key)');
      }
      try {
        if ((await countUsableTokens(options.db, now())) === 0) {
          log.warn(
            { command: 'act2-server token create --name agents --scope register --db <the same --db>' },
            'no usable API token exists: every registration and read is refused until you create one (act2-server token create --help)',
          );
        }
      } catch (err) {
        log.warn({ err }, 'could not count API tokens at start-up');
      }
    });

    app.addHook('onClose', async () => {
      clearInterval(epochTimer);
      await epochRead;
      await Promise.all([...pending]);
    });
  },
  { name: 'act2-auth' },
);
