import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type RouteOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { Dispatcher } from 'undici';
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
import { registerConnectionClose } from './http/connection-close.js';
import { registerErrorHandling, sendFrameworkError } from './http/errors.js';
import { lazyChildLoggerFactory } from './http/lazy-child-logger.js';
import { registerRequestLog } from './http/request-log.js';
import { jobRunnerPlugin } from './jobs/job-runner.js';
import { jobRoutes } from './jobs/routes.js';
import type { RouteScope } from './http/route-scope.js';
import { schedulerPlugin } from './sweep/scheduler.js';
import { sweepTimeouts, type TimedOutMaster } from './sweep/timeout-sweep.js';
import { masterRoutes } from './masters/routes.js';
import { minionRoutes } from './minions/routes.js';
import { registerDbGauges } from './metrics/db-gauges.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { registerMetrics } from './metrics/plugin.js';
import { defaultConsoleDir, registerConsole } from './console/plugin.js';
import { registerOpenApi } from './openapi/plugin.js';
import { defaultRegisterWorker, LargeJsonBody, RegistrationOffloader } from './register/offload.js';
import { REGISTER_ROUTES, registerRoutes } from './register/route.js';
import { authPlugin } from './auth/plugin.js';
import { adminRoutes } from './auth/routes.js';
import { readTlsOptions } from './tls.js';
import { VERSION } from './version.js';
import { createWebhookDispatcher } from './webhooks/dispatcher.js';
import { webhookRoutes } from './webhooks/routes.js';
import { readWebhookSecret, WEBHOOK_TICK_MS } from './webhooks/secret.js';
import { measureJob } from './sweep/measure.js';
import { purge, PURGE_INTERVAL_MS, type PurgeResult } from './sweep/purge.js';

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
  /** The built web console (console/build.mjs output); default: dist/console beside the bundle. */
  consoleDir?: string;
  /** undici dispatcher for webhook deliveries. */
  webhookDispatcher?: Dispatcher;
  /** One webhook attempt's limit (default 10 s); tests shorten it. */
  webhookTimeoutMs?: number;
  /** A fresh registry per app by default. */
  metrics?: Metrics;
  /** Run the timeout sweep on a timer (default true). Tests turn it off and call `app.sweepNow()`. */
  scheduler?: boolean;
  /** Wall clock of the auth plugin (token expiry, lookup cache, rate limit); tests move it. */
  authNow?: () => number;
  /** Follow salt jobs on this instance (default true). */
  jobRunner?: boolean;
  /**
   * The built registration worker (dist/register-worker.js) that parses huge registrations off
   * the main thread; default: the one beside the bundle, none from sources; false: none.
   */
  registerWorker?: URL | false;
  /** The longest one request to the registration worker may take (default 120 s); tests shorten it. */
  registerWorkerTimeoutMs?: number;
}

/** One route as registered: what the API description and the scope checks are tested against. */
export interface RouteEntry {
  method: string;
  url: string;
  scope: RouteScope | undefined;
  /** Callers let through without a credential (see FastifyContextConfig). */
  allowWithoutCredential: ((ip: string) => boolean) | undefined;
  /** Left out of the API description (`schema.hide`): pages, assets, /metrics. */
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs one timeout sweep now, as the scheduler would. */
    sweepNow(): Promise<TimedOutMaster[]>;
    /** Runs one purge (masters gone for good, old events) now, as the scheduler would. */
    purgeNow(): Promise<PurgeResult>;
    /** One webhook round (enqueue, lease, send) and waits for its sends; a no-op without --webhook. */
    webhooksNow(): Promise<void>;
    /** Every route registered, in order (HEAD routes fastify adds for GET included). */
    routeTable(): readonly RouteEntry[];
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
    // Each request's child logger is made when the request first logs (http/lazy-child-logger.ts).
    ...(deps.logger ? { loggerInstance: deps.logger, childLoggerFactory: lazyChildLoggerFactory } : {}),
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
  const routes: RouteOptions[] = [];
  // Read when asked, not now: onRoute hooks of inner plugins run later and may still set config.
  app.addHook('onRoute', (route) => void routes.push(route));
  app.decorate('routeTable', () =>
    routes.flatMap((route) =>
      [route.method].flat().map((method) => ({
        method,
        url: route.url,
        scope: route.config?.scope,
        allowWithoutCredential: route.config?.allowWithoutCredential,
        hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true,
      })),
    ),
  );
  const baseDb = deps.db ?? createDb(config, { log: app.log });
  if (!deps.db) app.addHook('onClose', async () => baseDb.destroy());
  // Every query that comes back tells the tracker the database is reachable (ends an outage).
  const outage = createOutageTracker(app.log.child({ module: 'database' }));
  const db = baseDb.withPlugin(outagePlugin(outage));

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app, { onDbUnavailable: (err) => outage.refused(err) });
  const shape = {
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
  };
  // A registration's top-level `minions` array over --max-minions is found by the same pass, and
  // answered 413 ACT2_TOO_MANY_MINIONS (other arrays: ACT2_BODY_TOO_COMPLEX over maxElements).
  const registerShape = { ...shape, maxMinions: config.maxMinions };
  const registerWorker = deps.registerWorker === false ? undefined : (deps.registerWorker ?? defaultRegisterWorker(app.log));
  const offloader = registerWorker
    ? new RegistrationOffloader(
        registerWorker,
        { shape: registerShape, maxMinions: config.maxMinions },
        deps.registerWorkerTimeoutMs === undefined ? {} : { callTimeoutMs: deps.registerWorkerTimeoutMs },
      )
    : undefined;
  if (offloader) app.addHook('onClose', async () => offloader.close());
  const registerUrls: readonly string[] = REGISTER_ROUTES;
  const isRegistration = (request: FastifyRequest) => registerUrls.includes(request.routeOptions.url ?? '');
  registerBodyHandling(app, config.bodyLimitBytes, shape, {
    shapeFor: (request) => (isRegistration(request) ? registerShape : undefined),
    // A huge registration is parsed in a worker (register/offload.ts), not here.
    largeBody: offloader && ((request, bytes) => (isRegistration(request) ? new LargeJsonBody(bytes) : undefined)),
    // A smaller one byte-identical to a body its master had accepted goes the same way (and is
    // then not parsed at all, see register/accepted-bodies.ts); any other is parsed here.
    smallBody: offloader && ((request, bytes) => (isRegistration(request) ? offloader.knownSmallBody(request, bytes) : undefined)),
  });
  registerRequestLog(app);
  registerConnectionClose(app);
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
  const metrics = deps.metrics ?? createMetrics();
  const clock = deps.clock ?? databaseClock;
  registerMetrics(app, metrics, { allow: config.metricsAllow });
  // Pool figures come from the pool createDb opened (the outage plugin wraps it in a new instance).
  registerDbGauges(metrics, db, clock, config.masterTimeoutMs, { pool: baseDb });

  // An injected clock (tests driving time) is used as is; the database clock is cached for reads.
  const ctx: AppContext = { db, clock, readClock: deps.clock ?? offsetClock(databaseClock), box, config, log: app.log, metrics, offloader };
  const sweepLog = app.log.child({ module: 'timeout-sweep' });
  app.decorate('sweepNow', async () =>
    measureJob(metrics, 'timeout', async () => {
      const timedOut = await sweepTimeouts(db, {
        now: await ctx.clock(db),
        masterTimeoutMs: config.masterTimeoutMs,
        instanceId: config.instanceId,
        log: sweepLog,
      });
      return { result: timedOut, transitions: timedOut.length };
    }),
  );
  const purgeLog = app.log.child({ module: 'purge' });
  app.decorate('purgeNow', async () =>
    measureJob(metrics, 'purge', async () => {
      const result = await purge(db, {
        now: await ctx.clock(db),
        purgeAfterMs: config.purgeAfterMs,
        eventsRetentionMs: config.eventsRetentionMs,
        instanceId: config.instanceId,
        log: purgeLog,
      });
      return { result, transitions: result.masters.length };
    }),
  );
  const webhooks =
    config.webhooks.length > 0
      ? createWebhookDispatcher({
          db,
          clock,
          urls: config.webhooks,
          secret: readWebhookSecret(config.webhookSecretFile),
          instanceId: config.instanceId,
          retryForMs: config.webhookRetryForMs,
          metrics,
          log: app.log.child({ module: 'webhooks' }),
          ...(deps.webhookDispatcher ? { dispatcher: deps.webhookDispatcher } : {}),
          ...(deps.webhookTimeoutMs ? { timeoutMs: deps.webhookTimeoutMs } : {}),
        })
      : undefined;
  app.decorate('webhooksNow', async () => {
    await webhooks?.tick();
    await webhooks?.drain();
  });
  // Sends in flight finish (each is bounded by its timeout) before the database closes.
  if (webhooks) app.addHook('preClose', async () => webhooks.drain());
  if (deps.scheduler !== false) {
    await app.register(schedulerPlugin, {
      jobs: [
        { name: 'timeout', intervalMs: config.checkIntervalMs, run: () => app.sweepNow() },
        { name: 'purge', intervalMs: PURGE_INTERVAL_MS, run: () => app.purgeNow() },
        ...(webhooks ? [{ name: 'webhooks', intervalMs: WEBHOOK_TICK_MS, run: () => webhooks.tick() }] : []),
      ],
    });
  }

  await registerOpenApi(app, { version: VERSION });
  await registerConsole(app, { dir: deps.consoleDir ?? defaultConsoleDir() });
  await app.register(healthRoutes, { ctx });
  await app.register(registerRoutes, { ctx });
  await app.register(masterRoutes, { ctx });
  await app.register(minionRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
  await app.register(adminRoutes, { ctx });
  await app.register(jobRunnerPlugin, { ctx, enabled: deps.jobRunner !== false, userAgent: `act2-server/${VERSION}` });
  await app.register(jobRoutes, { ctx });
  await app.register(webhookRoutes, { ctx });
  return app;
}
