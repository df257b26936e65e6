import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { databaseClock, offsetClock, type Clock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { AppContext } from './context.js';
import { resolveSecretKey } from './crypto/key-file.js';
import { createSecretBox, type SecretBox } from './crypto/secret-box.js';
import { createDb } from './db/create-db.js';
import { createOutageTracker } from './db/outage.js';
import { outagePlugin } from './db/outage-plugin.js';
import type { Database } from './db/database.js';
import { eventRoutes } from './events/routes.js';
import { healthRoutes } from './health/routes.js';
import { registerBodyHandling } from './http/body.js';
import { registerErrorHandling, sendFrameworkError } from './http/errors.js';
import { registerRequestLog } from './http/request-log.js';
import { jobRunnerPlugin } from './jobs/job-runner.js';
import { jobRoutes } from './jobs/routes.js';
import { schedulerPlugin } from './jobs/scheduler.js';
import { sweepTimeouts, type TimedOutMaster } from './jobs/timeout-sweep.js';
import { masterRoutes } from './masters/routes.js';
import { minionRoutes } from './minions/routes.js';
import { registerRoutes } from './register/route.js';
import { authPlugin } from './auth/plugin.js';
import { adminRoutes } from './auth/routes.js';
import { readTlsOptions } from './tls.js';

declare const __ACT2_VERSION__: string | undefined;
const SERVER_VERSION = typeof __ACT2_VERSION__ === 'string' ? __ACT2_VERSION__ : 'dev';

export const REQUEST_TIMEOUT_MS = 120_000;
export const CONNECTION_TIMEOUT_MS = 180_000;

/** Parts `buildApp` would otherwise create; tests and embedders pass their own. */
export interface AppDeps {
  /** An open, migrated database. The caller keeps ownership (the app does not destroy it). */
  db?: Kysely<Database>;
  /** Defaults to the database clock. */
  clock?: Clock;
  /** A pino logger (create it with `createLogger`); without one the app does not log. */
  logger?: FastifyBaseLogger;
  /** Defaults to a box keyed as `config` says (see `resolveSecretKey`). */
  secretBox?: SecretBox;
  /** Run the timeout sweep on a timer (default true). Tests turn it off and call `app.sweepNow()`. */
  scheduler?: boolean;
  /** Wall clock of the auth plugin (token expiry, lookup cache, rate limit); tests move it. */
  authNow?: () => number;
  /** Follow salt jobs on this instance (default true). */
  jobRunner?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs one timeout sweep now, as the scheduler would. */
    sweepNow(): Promise<TimedOutMaster[]>;
  }
}

/**
 * The act2-server HTTP app, ready for `inject` or `listen`. It does not migrate: call
 * `runMigrations` first (`startServer` does both).
 */
export async function buildApp(config: ServerConfig, deps: AppDeps = {}): Promise<FastifyInstance> {
  const box = deps.secretBox ?? createSecretBox(resolveSecretKey(config).key);
  const https = readTlsOptions(config);
  const app = Fastify({
    ...(https ? { https } : {}),
    ...(deps.logger ? { loggerInstance: deps.logger } : {}),
    // Our onResponse hook writes the one line per request (http/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: true,
    // A client must send its whole request within 2 minutes (a 16 MiB body on a slow link fits),
    // and a socket silent for 3 minutes is closed: longer than any request may take to answer,
    // whose queries are bounded by the database timeouts.
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    // Fastify's default (100) is shorter than a 255-character sn; 4096 holds one even when every
    // character is 4 UTF-8 bytes, percent-encoded (255 × 12 = 3060).
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: sendFrameworkError,
    // request.ip (logged with every rejected registration) is the proxy's address unless trusted.
    trustProxy: config.trustProxy,
  });
  const baseDb = deps.db ?? createDb(config, { log: app.log });
  if (!deps.db) app.addHook('onClose', async () => baseDb.destroy());
  // Every query that comes back tells the tracker the database is reachable (ends an outage).
  const outage = createOutageTracker(app.log.child({ module: 'database' }));
  const db = baseDb.withPlugin(outagePlugin(outage));

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app, { onDbUnavailable: (err) => outage.refused(err) });
  registerBodyHandling(app, config.bodyLimitBytes, {
    // Two per minion (the minion and its ips) plus the envelope's few; no route nests deeper than 4,
    // no object of the contract has more than a dozen fields, no array more than the minions.
    maxContainers: 2 * config.maxMinions + 64,
    maxDepth: 32,
    maxMembers: 256,
    maxElements: Math.max(config.maxMinions, 1024),
    maxKeyNames: 1024,
    // A minion has about three short values of its own (an id, one or two IPv4 addresses); statuses
    // and OS names repeat. Parsing millions of different ones costs seconds.
    maxShortStrings: 4 * config.maxMinions + 4096,
  });
  registerRequestLog(app);
  // Before any route: its onRequest hook checks the scope each route declares.
  await app.register(authPlugin, {
    db,
    mode: config.auth,
    allowAnonymousRegister: config.allowAnonymousRegister,
    cacheTtlMs: config.authCacheMs,
    failureLimit: { max: config.authFailureLimit, windowMs: 60_000 },
    clientCnIsSn: config.tlsClientCnIsSn,
    ...(deps.authNow ? { now: deps.authNow } : {}),
  });

  // An injected clock (tests driving time) is used as is; the database clock is cached for reads.
  const ctx: AppContext = deps.clock
    ? { db, clock: deps.clock, readClock: deps.clock, box, config, log: app.log }
    : { db, clock: databaseClock, readClock: offsetClock(databaseClock), box, config, log: app.log };
  const sweepLog = app.log.child({ module: 'timeout-sweep' });
  app.decorate('sweepNow', async () =>
    sweepTimeouts(db, {
      now: await ctx.clock(db),
      masterTimeoutMs: config.masterTimeoutMs,
      instanceId: config.instanceId,
      log: sweepLog,
    }),
  );
  if (deps.scheduler !== false) {
    await app.register(schedulerPlugin, { intervalMs: config.checkIntervalMs, run: () => app.sweepNow() });
  }

  await app.register(healthRoutes, { ctx });
  await app.register(registerRoutes, { ctx });
  await app.register(masterRoutes, { ctx });
  await app.register(minionRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
  await app.register(adminRoutes, { ctx });
  await app.register(jobRunnerPlugin, { ctx, enabled: deps.jobRunner !== false, userAgent: `act2-server/${SERVER_VERSION}` });
  await app.register(jobRoutes, { ctx });
  return app;
}
