import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RegisterRequest } from '@act2/shared';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { Client, Pool } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '../helpers/db.js';
import { dbDigest } from '../helpers/digest.js';
import { captureLogger } from '../helpers/log.js';
import { basePayload, fuzzRequest, heavyRequests, type FuzzRequest } from './generators.js';

// Issue 11, proof: at least 10,000 generated hostile registrations and queries per database, sent
// over real HTTP to a server with the default limits. Asserted: no 5xx; no rejected request answered
// with more than 64 KiB; no rejected request changes the database (compared row by row, see
// helpers/digest.ts; a registration the contract accepts but the server refuses included); /healthz answered within 1 s
// throughout; RSS back near its start. Reproduce a run with ACT2_FUZZ_SEED=<seed printed on failure>.

const REQUESTS = Number(process.env.ACT2_FUZZ_REQUESTS ?? 10_000);
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
  if (request.kind !== 'register:mutated' || typeof request.body !== 'string') return false;
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
  let pool: Pool;
  let health: Client;
  const log = captureLogger('info');

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    app = await buildApp(database.config(), { db: database.db, scheduler: false, logger: log.logger.child({}, { level: 'error' }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    pool = new Pool(base, { connections: CONCURRENCY, pipelining: 1 });
    health = new Client(base);
  });
  afterAll(async () => {
    await pool?.close();
    await health?.close();
    await app?.close();
    await database?.destroy();
  });

  const kindMs = new Map<string, number>();
  async function send(request: FuzzRequest): Promise<Outcome> {
    const t0 = performance.now();
    try {
      return await sendOnce(request);
    } finally {
      kindMs.set(request.kind, (kindMs.get(request.kind) ?? 0) + performance.now() - t0);
    }
  }
  async function sendOnce(request: FuzzRequest): Promise<Outcome> {
    const response = await pool.request({
      method: request.method as 'GET',
      path: request.path,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return { request, status: response.statusCode, bytes: body.length };
  }

  async function sendAll(requests: FuzzRequest[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const request = requests[next++]!;
          outcomes.push(await send(request));
        }
      }),
    );
    return outcomes;
  }

  it(`answers ${REQUESTS} hostile requests without a 5xx, a large rejection, a stray write or a stall`, { timeout: 300_000 }, async () => {
    const seed = Number(process.env.ACT2_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const requests = fc.sample(fuzzRequest, { numRuns: REQUESTS, seed });
    // The heavy ones spread through the run.
    for (const [i, heavy] of heavyRequests().entries()) requests.splice(Math.floor(((i + 1) * requests.length) / 5), 0, heavy);

    // Something to read and to protect: a few masters sharing minions.
    for (let n = 0; n < 16; n += 1) {
      const seeded = await send({ kind: 'seed', method: 'POST', path: '/register', headers: { 'content-type': 'application/json' }, body: JSON.stringify(basePayload(n)) });
      expect(seeded.status).toBe(200);
    }
    // Warm up (JIT, pools, V8's heap reaching its working size) before the RSS baseline.
    await sendAll([...requests.slice(0, 200), ...heavyRequests()]);
    gc();
    const { rss: rssStart, heapUsed: heapStart } = process.memoryUsage();

    let healthMax = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const started = performance.now();
        const response = await health.request({ method: 'GET', path: '/healthz', signal: AbortSignal.timeout(5_000) });
        await response.body.dump();
        healthMax = Math.max(healthMax, performance.now() - started);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const record = (o: Outcome) => {
      statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
      const what = `${o.request.kind} ${o.request.method} ${o.request.path.slice(0, 120)} ${typeof o.request.body === 'string' ? o.request.body.slice(0, 300) : ''}`;
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
        const refused = await sendAll(slice.filter((r) => !mayWrite(r)));
        const after = await dbDigest(database.db);
        if (after !== before) failures.push(`rejected requests changed the database: ${refused.map((o) => `${o.request.kind}:${o.status}`).join(', ')}`);
        checkedRejections += refused.filter((o) => o.status >= 400).length;
        refused.forEach(record);
        before = after;
        // Then those that may write, one at a time: one of them that is rejected must not have
        // changed anything either.
        for (const request of slice.filter(mayWrite)) {
          const outcome = await send(request);
          record(outcome);
          const now = await dbDigest(database.db);
          if (outcome.status >= 400) {
            checkedRejections += 1;
            if (now !== before) failures.push(`a rejected registration changed the database: ${outcome.request.kind}:${outcome.status} ${String(outcome.request.body).slice(0, 300)}`);
          }
          before = now;
        }
      }
    } finally {
      probing = false;
      await prober;
    }
    gc();
    await new Promise((r) => setTimeout(r, 100));
    gc();
    const { rss: rssEnd, heapUsed: heapEnd } = process.memoryUsage();

    const summary = { seed, requests: requests.length, statuses: Object.fromEntries(statuses), checkedRejections, healthMaxMs: Math.round(healthMax), rssStartMb: mb(rssStart), rssEndMb: mb(rssEnd), heapStartMb: mb(heapStart), heapEndMb: mb(heapEnd) };
    console.info(`[fuzz ${dialect}] ${JSON.stringify(summary)}`);
    if (process.env.ACT2_FUZZ_PROFILE) console.info(JSON.stringify(Object.fromEntries([...kindMs].map(([k, v]) => [k, Math.round(v)]).sort((a, b) => Number(b[1]) - Number(a[1])))));
    const errors = log.lines().filter((l) => (l.level as number) >= 50);
    expect(errors.slice(0, 3), `seed ${seed}`).toEqual([]);
    expect(failures, `seed ${seed}`).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(REQUESTS);
    // Most of the run is rejections, each covered by the no-write check.
    expect(checkedRejections).toBeGreaterThan(requests.length / 2);
    expect(healthMax, `seed ${seed}`).toBeLessThan(HEALTH_DEADLINE_MS);
    expect(heapEnd - heapStart, `seed ${seed}`).toBeLessThan(HEAP_SLACK_BYTES);
    expect(rssEnd - rssStart, `seed ${seed}`).toBeLessThan(RSS_SLACK_BYTES);
  });
});
