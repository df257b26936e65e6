import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RegisterRequest } from '@act2/shared';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { Client, Pool } from 'undici';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { RegistrationOffloader } from '../../src/register/offload.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '../helpers/db.js';
import { dbDigest } from '../helpers/digest.js';
import { captureLogger } from '../helpers/log.js';
import { buildRegisterWorker } from '../helpers/register-worker.js';
import { basePayload, fuzzRequest, heavyRequests, largeRegistration, type FuzzRequest } from './generators.js';

// Issue 11, proof: at least 10,000 generated hostile registrations and queries per database, sent
// over real HTTP to a server with the default limits. Asserted: no 5xx; no rejected request answered
// with more than 64 KiB; no rejected request changes the database (compared row by row, see
// helpers/digest.ts; a registration the contract accepts but the server refuses included); /healthz answered within 1 s
// throughout; RSS back near its start. Reproduce a run with ACT2_FUZZ_SEED=<seed printed on failure>.

const REQUESTS = Number(process.env.ACT2_FUZZ_REQUESTS ?? 10_000);
/** Registrations over 1 MiB sent again to an app with the built registration worker. */
const LARGE_REQUESTS = Number(process.env.ACT2_FUZZ_LARGE_REQUESTS ?? 300);
const BATCH = 100;
const CONCURRENCY = 8;
const MAX_REJECTION_BYTES = 64 * 1024;
const HEALTH_DEADLINE_MS = 1_000;
// RSS: glibc keeps freed memory in per-thread arenas, so after 10,000 requests RSS sits 20-110 MB
// above its start even without a leak (with MALLOC_ARENA_MAX=1 the same run ends within 35 MB, all
// of it V8 heap). The leak check is the live JS heap after a full GC; RSS must stay bounded (a single
// hostile request used to take gigabytes).
const RSS_SLACK_BYTES = 200 * 1024 * 1024;
const HEAP_SLACK_BYTES = 40 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Whether the request may change the database: a registration the contract itself accepts. */
function mayWrite(request: FuzzRequest): boolean {
  // DELETE /api/v1/masters/{sn} retires a master (scope admin; auth is off in this suite): a write by design.
  if (request.method === 'DELETE' && /^\/api\/v1\/masters\/[^/?]+$/.test(request.path)) return true;
  if (!/^register:(mutated|large-)/.test(request.kind) || typeof request.body !== 'string') return false;
  try {
    return RegisterRequest.safeParse(JSON.parse(request.body)).success;
  } catch {
    return false;
  }
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

interface Outcome {
  request: FuzzRequest;
  status: number;
  bytes: number;
}

describeEachDialect('fuzz: hostile requests', (dialect) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let target: Target;
  const log = captureLogger('info');

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    app = await buildApp(database.config(), { db: database.db, scheduler: false, logger: log.logger.child({}, { level: 'error' }) });
    target = await listen(app);
  });
  afterAll(async () => {
    await target?.close();
    await app?.close();
    await database?.destroy();
  });

  const kindMs = new Map<string, number>();

  it(`answers ${REQUESTS} hostile requests without a 5xx, a large rejection, a stray write or a stall`, { timeout: 300_000 }, async () => {
    const seed = Number(process.env.ACT2_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const requests = fc.sample(fuzzRequest, { numRuns: REQUESTS, seed });
    // The heavy ones spread through the run.
    for (const [i, heavy] of heavyRequests().entries()) requests.splice(Math.floor(((i + 1) * requests.length) / 5), 0, heavy);

    // Something to read and to protect: a few masters sharing minions.
    for (let n = 0; n < 16; n += 1) {
      const seeded = await send(target, { kind: 'seed', method: 'POST', path: '/register', headers: { 'content-type': 'application/json' }, body: JSON.stringify(basePayload(n)) }, kindMs);
      expect(seeded.status).toBe(200);
    }
    // Warm up (JIT, pools, V8's heap reaching its working size) before the RSS baseline.
    await sendAll(target, [...requests.slice(0, 200), ...heavyRequests()], kindMs);
    gc();
    const { rss: rssStart, heapUsed: heapStart } = process.memoryUsage();

    const run = await fuzzRun(target, database, requests, kindMs);
    gc();
    await new Promise((r) => setTimeout(r, 100));
    gc();
    const { rss: rssEnd, heapUsed: heapEnd } = process.memoryUsage();

    const summary = { seed, requests: requests.length, statuses: Object.fromEntries(run.statuses), checkedRejections: run.checkedRejections, healthMaxMs: Math.round(run.healthMax), rssStartMb: mb(rssStart), rssEndMb: mb(rssEnd), heapStartMb: mb(heapStart), heapEndMb: mb(heapEnd) };
    console.info(`[fuzz ${dialect}] ${JSON.stringify(summary)}`);
    if (process.env.ACT2_FUZZ_PROFILE) console.info(JSON.stringify(Object.fromEntries([...kindMs].map(([k, v]) => [k, Math.round(v)]).sort((a, b) => Number(b[1]) - Number(a[1])))));
    const errors = log.lines().filter((l) => (l.level as number) >= 50);
    expect(errors.slice(0, 3), `seed ${seed}`).toEqual([]);
    expect(run.failures, `seed ${seed}`).toEqual([]);
    expect([...run.statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(REQUESTS);
    // Most of the run is rejections, each covered by the no-write check.
    expect(run.checkedRejections).toBeGreaterThan(requests.length / 2);
    expect(run.healthMax, `seed ${seed}`).toBeLessThan(HEALTH_DEADLINE_MS);
    expect(heapEnd - heapStart, `seed ${seed}`).toBeLessThan(HEAP_SLACK_BYTES);
    expect(rssEnd - rssStart, `seed ${seed}`).toBeLessThan(RSS_SLACK_BYTES);
  });

  // The built server hands every registration over 1 MiB to its worker thread (register/offload.ts),
  // which the app above (from sources) has not: those go again to an app with the built worker.
  it(`answers ${LARGE_REQUESTS} generated registrations over 1 MiB, and the heavy ones, through the registration worker`, { timeout: 300_000 }, async () => {
    const seed = Number(process.env.ACT2_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const worker = buildRegisterWorker();
    const workerLog = captureLogger('info');
    const viaWorker = await buildApp(database.config(), { db: database.db, scheduler: false, registerWorker: worker.url, logger: workerLog.logger.child({}, { level: 'error' }) });
    const workerTarget = await listen(viaWorker);
    const prepare = vi.spyOn(RegistrationOffloader.prototype, 'prepare');
    try {
      const requests = fc.sample(largeRegistration, { numRuns: LARGE_REQUESTS, seed });
      for (const [i, heavy] of heavyRequests().entries()) requests.splice(Math.floor(((i + 1) * requests.length) / 5), 0, heavy);

      const run = await fuzzRun(workerTarget, database, requests, kindMs);

      console.info(`[fuzz ${dialect} worker] ${JSON.stringify({ seed, requests: requests.length, statuses: Object.fromEntries(run.statuses), checkedRejections: run.checkedRejections, healthMaxMs: Math.round(run.healthMax), workerCalls: prepare.mock.calls.length })}`);
      expect(workerLog.lines().filter((l) => (l.level as number) >= 50).slice(0, 3), `seed ${seed}`).toEqual([]);
      expect(run.failures, `seed ${seed}`).toEqual([]);
      // Every generated one (over 1 MiB) and the heavy ones over it went to the worker.
      expect(prepare.mock.calls.length).toBeGreaterThanOrEqual(LARGE_REQUESTS);
      expect(run.checkedRejections).toBeGreaterThan(requests.length / 2);
      expect(run.healthMax, `seed ${seed}`).toBeLessThan(HEALTH_DEADLINE_MS);
    } finally {
      prepare.mockRestore();
      await workerTarget.close();
      await viaWorker.close();
      worker.remove();
    }
  });
});

/** A listening app and the connections the suite sends through. */
interface Target {
  pool: Pool;
  health: Client;
  close(): Promise<void>;
}

async function listen(app: FastifyInstance): Promise<Target> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const pool = new Pool(base, { connections: CONCURRENCY, pipelining: 1 });
  const health = new Client(base);
  return {
    pool,
    health,
    close: async () => {
      await pool.close();
      await health.close();
    },
  };
}

async function send(target: Target, request: FuzzRequest, kindMs: Map<string, number>): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const response = await target.pool.request({
      method: request.method as 'GET',
      path: request.path,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return { request, status: response.statusCode, bytes: body.length };
  } finally {
    kindMs.set(request.kind, (kindMs.get(request.kind) ?? 0) + performance.now() - t0);
  }
}

async function sendAll(target: Target, requests: FuzzRequest[], kindMs: Map<string, number>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        outcomes.push(await send(target, request, kindMs));
      }
    }),
  );
  return outcomes;
}

interface FuzzRun {
  failures: string[];
  statuses: Map<number, number>;
  checkedRejections: number;
  healthMax: number;
}

/**
 * Sends `requests` in batches, probing /healthz throughout: the rejected ones (and reads) of a
 * batch at once, compared with the database before and after; those that may write one at a time.
 */
async function fuzzRun(target: Target, database: TestDatabase, requests: FuzzRequest[], kindMs: Map<string, number>): Promise<FuzzRun> {
  let healthMax = 0;
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      const response = await target.health.request({ method: 'GET', path: '/healthz', signal: AbortSignal.timeout(5_000) });
      await response.body.dump();
      healthMax = Math.max(healthMax, performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const record = (o: Outcome) => {
    statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    const what = `${o.request.kind} ${o.request.method} ${o.request.path.slice(0, 120)} ${typeof o.request.body === 'string' ? o.request.body.trim().slice(0, 300) : ''}`;
    if (o.status >= 500) failures.push(`${o.status} for ${what}`);
    if (o.status >= 400 && o.bytes > MAX_REJECTION_BYTES) failures.push(`${o.bytes}-byte ${o.status} for ${what}`);
    if (o.status < 400 && o.request.method === 'POST' && !mayWrite(o.request)) failures.push(`${o.status}: accepted what the contract refuses: ${what}`);
  };
  let checkedRejections = 0;
  let before = await dbDigest(database.db);
  try {
    for (let i = 0; i < requests.length && failures.length < 20; i += BATCH) {
      // Requests the contract refuses (and reads) first, then the few that may write: every
      // rejection is covered by a before/after comparison of the whole database.
      const slice = requests.slice(i, i + BATCH);
      const refused = await sendAll(target, slice.filter((r) => !mayWrite(r)), kindMs);
      const after = await dbDigest(database.db);
      if (after !== before) failures.push(`rejected requests changed the database: ${refused.map((o) => `${o.request.kind}:${o.status}`).join(', ')}`);
      checkedRejections += refused.filter((o) => o.status >= 400).length;
      refused.forEach(record);
      before = after;
      // Then those that may write, one at a time: one of them that is rejected must not have
      // changed anything either.
      for (const request of slice.filter(mayWrite)) {
        const outcome = await send(target, request, kindMs);
        record(outcome);
        const now = await dbDigest(database.db);
        if (outcome.status >= 400) {
          checkedRejections += 1;
          if (now !== before) failures.push(`a rejected registration changed the database: ${outcome.request.kind}:${outcome.status} ${String(outcome.request.body).trim().slice(0, 300)}`);
        }
        before = now;
      }
    }
  } finally {
    probing = false;
    await prober;
  }
  return { failures, statuses, checkedRejections, healthMax };
}
