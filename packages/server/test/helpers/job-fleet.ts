/**
 * The job tests' world: simulated salt-apis (an HA pair A/B sharing minions ha-001..ha-003, and a
 * lone master C with c-001..c-003) registered with an act2-server app the way agents register them.
 */
import { Writable } from 'node:stream';
import { createSaltApiSim, generateMinions, type SaltApiSim } from '@act2/salt-api-sim';
import { isFinishedJobStatus, type Job, type RegisterMinionInput } from '@act2/shared';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { ServerConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './db.js';

/** The salt-api password of every simulated master: it must never show up in a response, event or log. */
export const SALT_PASSWORD = 'Pw-5a1t-9f3e-never-logged';
const USERS = [{ name: 'salt-api', password: SALT_PASSWORD, eauth: ['pam' as const], perms: ['.*', '@runner', '@wheel', '@jobs'] }];

export interface JobFleet {
  a: SaltApiSim;
  b: SaltApiSim;
  c: SaltApiSim;
  close(): Promise<void>;
}

export async function startJobFleet(options: { maxEventSize?: number } = {}): Promise<JobFleet> {
  const ha = generateMinions({ count: 3, seed: 'ha', prefix: 'ha-' });
  const lone = generateMinions({ count: 3, seed: 'lone', prefix: 'c-' });
  const common = { timeScale: 0.001, users: USERS, ...(options.maxEventSize ? { maxEventSize: options.maxEventSize } : {}) };
  const a = createSaltApiSim({ ...common, minions: ha, masterId: 'master-a' });
  const b = createSaltApiSim({ ...common, minions: ha, masterId: 'master-b' });
  const c = createSaltApiSim({ ...common, minions: lone, masterId: 'master-c' });
  await Promise.all([a.listen(), b.listen(), c.listen()]);
  return { a, b, c, close: async () => void (await Promise.all([a.close(), b.close(), c.close()])) };
}

const minion = (sn: string, ip: string): RegisterMinionInput => ({ sn, status: 'running', ips: [ip] });

/** Registers B first, then A (A is the fresher, so the first candidate of ha-*), then C. */
export async function registerFleet(app: FastifyInstance, fleet: JobFleet, options: { registerToken?: string } = {}): Promise<void> {
  const password = SALT_PASSWORD;
  const register = async (sn: string, sim: SaltApiSim, minions: RegisterMinionInput[]) => {
    const res = await app.inject({
      method: 'POST',
      url: '/register',
      ...(options.registerToken ? { headers: { authorization: `Bearer ${options.registerToken}` } } : {}),
      payload: { master: { sn, server: sim.url, status: 'running', idc: 'idc-1', type: 'salt', options: { username: 'salt-api', password } }, minions },
    });
    if (res.statusCode !== 200) throw new Error(`register ${sn}: ${res.statusCode} ${res.body}`);
  };
  const ha = [minion('ha-001', '10.8.0.1'), minion('ha-002', '10.8.0.2'), minion('ha-003', '10.8.0.3'), minion('ghost-1', '10.8.0.99')];
  await register('master-b', fleet.b, ha);
  await new Promise((r) => setTimeout(r, 5));
  await register('master-a', fleet.a, ha);
  // c-003 shares an IP with ha-003: a job by that IP is ambiguous.
  await register('master-c', fleet.c, [minion('c-001', '10.9.0.1'), minion('c-002', '10.9.0.2'), minion('c-003', '10.8.0.3')]);
}

/** Posts a job (expects 202) and reads it until it is finished. */
export async function runJob(app: FastifyInstance, body: object, timeoutMs = 15_000): Promise<Job> {
  const created = await app.inject({ method: 'POST', url: '/api/v1/jobs', payload: body });
  if (created.statusCode !== 202) throw new Error(`POST /api/v1/jobs: ${created.statusCode} ${created.body}`);
  return waitForJob(app, (created.json() as { id: string }).id, timeoutMs);
}

export async function waitForJob(app: FastifyInstance, id: string, timeoutMs = 15_000): Promise<Job> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = (await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}` })).json() as Job;
    if (isFinishedJobStatus(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A logger whose every line is kept, to check what reached the logs. */
export function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** A job suite's world, filled in beforeAll: its database, the simulated masters, the app that follows jobs. */
export interface JobWorld {
  readonly database: TestDatabase;
  readonly fleet: JobFleet;
  readonly app: FastifyInstance;
}

/**
 * Sets up (beforeAll) and tears down (afterAll) a job suite's world: a test database of `dialect`,
 * the fleet of simulated masters, an app (no scheduler) with `config` over the job test defaults,
 * and the fleet registered with it. `setup` runs on the database before the app is built (tokens);
 * the register token it returns, if any, registers the fleet.
 */
export function useJobWorld(
  dialect: DialectName,
  options: {
    config?: Partial<ServerConfig>;
    fleet?: { maxEventSize?: number };
    logger?: FastifyBaseLogger;
    setup?: (database: TestDatabase) => Promise<{ registerToken?: string } | undefined>;
  } = {},
): JobWorld {
  let database: TestDatabase | undefined;
  let fleet: JobFleet | undefined;
  let app: FastifyInstance | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the job world's ${what} is used before beforeAll`);
    return value;
  };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    fleet = await startJobFleet(options.fleet);
    const registration = (await options.setup?.(database)) ?? {};
    const config = database.config({ jobPollIntervalMs: 50, jobLeaseMs: 3000, ...options.config });
    app = await buildApp(config, { db: database.db, scheduler: false, ...(options.logger ? { logger: options.logger } : {}) });
    await app.ready();
    await registerFleet(app, fleet, registration);
  });

  afterAll(async () => {
    await app?.close();
    await fleet?.close();
    await database?.destroy();
  });

  return {
    get database() {
      return ready(database, 'database');
    },
    get fleet() {
      return ready(fleet, 'fleet');
    },
    get app() {
      return ready(app, 'app');
    },
  };
}
