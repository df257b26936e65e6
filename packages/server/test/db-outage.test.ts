import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { sqliteDialect } from '../src/db/dialects/sqlite/index.js';
import { createTestDatabase, describeEachSharedDialect, manualClock, type TestDatabase } from './helpers/db.js';
import { postRegister } from './helpers/app.js';
import { payload } from './helpers/payloads.js';
import { captureLogger } from './helpers/log.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

/** The app's pool: each of its connections may report its own failure once, no more. */
const POOL_SIZE = 4;

describeEachSharedDialect('the database going away and coming back', (dialect) => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let app: FastifyInstance;
  const log = captureLogger('info');

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port));
    const viaProxy = new URL(database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    // The app opens its own pool through the proxy, exactly as in production.
    app = await buildApp(database.config({ db: viaProxy.toString(), dbPoolSize: POOL_SIZE }), { clock: manualClock(), scheduler: false, logger: log.logger });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await database?.destroy();
  });

  it('answers 503 while the database is unreachable and recovers on its own', async () => {
    const first = await postRegister(app, payload('outage-1', [{ sn: 'o-1', status: 'running' }]));
    expect(first.statusCode).toBe(200);

    await proxy.close();
    const register = await postRegister(app, payload('outage-2', []));
    const read = await app.inject({ url: '/api/v1/masters' });
    const ready = await app.inject({ url: '/readyz' });
    const health = await app.inject({ url: '/healthz' });

    expect([register.statusCode, register.json().code, register.headers['retry-after']]).toEqual([503, 'ACT2_DB_UNAVAILABLE', '5']);
    expect(register.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|terminated/);
    expect([read.statusCode, read.json().code]).toEqual([503, 'ACT2_DB_UNAVAILABLE']);
    expect([ready.statusCode, ready.json()]).toEqual([503, { status: 'unavailable', database: dialect }]);
    expect(health.statusCode).toBe(200);

    await proxy.open();
    const again = await postRegister(app, payload('outage-2', []));
    const masters = await app.inject({ url: '/api/v1/masters' });

    expect(again.statusCode).toBe(200);
    expect(masters.json().items.map((m: { sn: string }) => m.sn)).toEqual(['outage-1', 'outage-2']);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('logs an outage once when it starts (with the cause) and once when it ends (with its length and the refused count)', async () => {
    const start = log.lines().length;
    await proxy.close();
    const refused = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? app.inject({ url: '/api/v1/minions' }) : postRegister(app, payload(`o-${i}`, [])))));
    await proxy.open();
    const back = await app.inject({ url: '/api/v1/masters' });

    const logged = log.lines().slice(start);
    const connectionFailures = (msg: string) => logged.filter((l) => l.msg === msg);
    const lines = logged.filter((l) => l.msg !== 'request completed' && l.msg !== 'database connection failed' && l.msg !== 'idle database connection failed');
    expect(refused.map((r) => r.statusCode)).toEqual(refused.map(() => 503));
    // The driver's own warnings: one per pooled connection that broke, not one per refused request.
    for (const msg of ['database connection failed', 'idle database connection failed']) {
      const failures = connectionFailures(msg);
      expect(failures.length, `${msg}: ${failures.length} lines`).toBeLessThanOrEqual(POOL_SIZE);
      expect(failures.every((l) => l.level === 40)).toBe(true);
    }
    expect(back.statusCode).toBe(200);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'database unavailable: refusing requests with 503 until it answers again'],
      [40, 'database available again'],
    ]);
    expect(lines[0]!.cause).toMatchObject({ message: expect.any(String) });
    expect(JSON.stringify(lines[0])).not.toContain('"stack"');
    expect(lines[1]).toMatchObject({ refused: 20, downMs: expect.any(Number) });
  });
});

// Production's path for the two hot reads on SQLite: no injected clock (the database clock's cached
// offset answers without a promise) and the driver's rows returned directly, so the handlers answer
// synchronously; a driver error thrown there must still become the outage answer, and pass.
describe('the hot reads on SQLite, answered synchronously', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const log = captureLogger('info');

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await buildApp(database.config(), { db: database.db, scheduler: false, logger: log.logger });
    await app.ready();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await app?.close();
    await database?.destroy();
  });

  it('answer as before, 503 while the driver fails, and recover', async () => {
    expect((await postRegister(app, payload('sync-1', [{ sn: 'o-1', status: 'running', ips: ['192.0.2.7'] }]))).statusCode).toBe(200);
    const reads = () => Promise.all([app.inject({ url: '/api/v1/minions/o-1' }), app.inject({ url: '/api/v1/lookup?ip=192.0.2.7' })]);
    const [minion, lookup] = await reads();
    const [minionAgain] = await reads();
    expect([minion.statusCode, lookup.statusCode]).toEqual([200, 200]);
    expect(minionAgain.json()).toEqual(minion.json());
    expect(lookup.json().items.map((m: { sn: string }) => m.sn)).toEqual(['o-1']);

    const failing = vi.spyOn(sqliteDialect, 'runPrepared').mockImplementation(() => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_READ' });
    });
    const refused = await reads();
    failing.mockRestore();

    expect(refused.map((r) => [r.statusCode, r.json().code, r.headers['retry-after']])).toEqual([
      [503, 'ACT2_DB_UNAVAILABLE', '5'],
      [503, 'ACT2_DB_UNAVAILABLE', '5'],
    ]);
    const [back, backLookup] = await reads();
    expect([back.statusCode, backLookup.statusCode]).toEqual([200, 200]);
    expect(back.json()).toEqual(minion.json());
    const msgs = log.lines().map((l) => l.msg);
    expect(msgs).toContain('database unavailable: refusing requests with 503 until it answers again');
    expect(msgs).toContain('database available again');
  });
});
