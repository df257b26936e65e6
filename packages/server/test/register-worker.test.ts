import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { PIECEWISE_ABOVE } from '../src/http/body.js';
import { LargeJsonBody, RegistrationOffloader } from '../src/register/offload.js';
import { createTestDatabase, manualClock, type TestDatabase } from './helpers/db.js';
import { buildRegisterWorker } from './helpers/register-worker.js';

// Issue 11, finding 2: the built server parses, validates, normalises and diffs a registration
// body over PIECEWISE_ABOVE in a worker thread (register/offload.ts). Whatever the body, it must
// answer exactly what the main-thread path answers, and store exactly the same.

const MAX_MINIONS = 60_000;
const minion = (i: number, prefix = 'm') => ({ sn: `${prefix}-${String(i).padStart(6, '0')}`, status: 'running', ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] });
const master = (sn: string, extra: Record<string, unknown> = {}) => ({ sn, server: `http://${sn}:8001`, status: 'running', idc: 'b', type: 'salt', ...extra });
const body = (sn: string, count: number, extra: Record<string, unknown> = {}) => JSON.stringify({ master: master(sn, extra), minions: Array.from({ length: count }, (_, i) => minion(i)) });

describe.each([['sqlite'], ['postgres'], ['mysql']] as const)('huge registrations through the worker [%s]', (dialect) => {
  let worker: ReturnType<typeof buildRegisterWorker>;
  const sides: Array<{ database: TestDatabase; app: FastifyInstance }> = [];

  beforeAll(async () => {
    worker = buildRegisterWorker();
    for (const registerWorker of [worker.url, false] as const) {
      const database = await createTestDatabase(dialect);
      const app = await buildApp(database.config({ bodyLimitBytes: 64 * 1024 * 1024, maxMinions: MAX_MINIONS }), {
        db: database.db,
        clock: manualClock(),
        scheduler: false,
        jobRunner: false,
        registerWorker,
      });
      sides.push({ database, app });
    }
  }, 60_000);
  afterAll(async () => {
    for (const { app, database } of sides) {
      await app.close();
      await database.destroy();
    }
    worker?.remove();
  });

  /** Sends `text` to both apps; the worker's answer and the main thread's. */
  const both = async (text: string) => {
    expect(text.length).toBeGreaterThan(PIECEWISE_ABOVE);
    const answers = [];
    for (const { app } of sides) {
      const response = await app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: text });
      answers.push({ status: response.statusCode, body: response.json() as Record<string, unknown> });
    }
    return answers as [{ status: number; body: Record<string, unknown> }, { status: number; body: Record<string, unknown> }];
  };

  it('rejects what the main thread rejects, with the same answer', { timeout: 120_000 }, async () => {
    const prepare = vi.spyOn(RegistrationOffloader.prototype, 'prepare');
    const good = body('bad', 20_000);
    const badIps = JSON.stringify({ master: master('bad'), minions: Array.from({ length: 20_000 }, (_, i) => ({ ...minion(i), ips: [`10.0.0.${i}`] })) });
    const cases = {
      'trailing comma': good.replace(/\]\}$/, ',]}'),
      'syntax error in a minion': good.replace('"m-001999"', '"m-001999",'),
      'prototype poisoning': good.replace('{"sn":"m-004000"', '{"__proto__":{"x":1},"sn":"m-004000"'),
      'constructor poisoning': good.replace('{"master":{', '{"master":{"constructor":{"prototype":{"x":1}},'),
      'cut short': good.slice(0, -10),
      'too many empty minions (413)': `{"pad":"${'x'.repeat(PIECEWISE_ABOVE)}","minions":[${'{},'.repeat(MAX_MINIONS)}{}]}`,
      'too many elements (413)': `{"pad":"${'x'.repeat(PIECEWISE_ABOVE)}","minions":[{"sn":"a","status":"running","ips":[${'1,'.repeat(MAX_MINIONS)}1]}]}`,
      'too many minions (413)': body('bad', MAX_MINIONS + 1).replace(/"ips":\["[^"]+"\]/g, '"ips":[]'),
      'invalid IPs (a bounded 400)': badIps,
      'a bad master': body('bad', 20_000, { server: 'file:///etc/passwd' }),
      'a lone surrogate': good.replace('"m-000007"', '"m-\\ud800"'),
      'not an object': `[${'1,'.repeat(600_000)}1]`,
    };
    const answers: Record<string, { status: number; body: Record<string, unknown> }> = {};
    for (const [name, text] of Object.entries(cases)) {
      const [viaWorker, here] = await both(text);
      expect([name, viaWorker]).toEqual([name, here]);
      expect([name, viaWorker.status >= 400 && viaWorker.status < 500]).toEqual([name, true]);
      answers[name] = viaWorker;
    }
    // More minions than --max-minions (here 60,000, above the structure check's 1,024 floor) is
    // told apart from any other over-long array, through the worker as on the main thread.
    const tooMany = { code: 'ACT2_TOO_MANY_MINIONS', message: `A registration may list at most ${MAX_MINIONS} minions (got more than ${MAX_MINIONS}); raise --max-minions on the server` };
    expect(answers['too many minions (413)']).toEqual({ status: 413, body: expect.objectContaining(tooMany) });
    expect(answers['too many empty minions (413)']).toEqual({ status: 413, body: expect.objectContaining(tooMany) });
    expect(answers['too many elements (413)']).toEqual({
      status: 413,
      body: expect.objectContaining({ code: 'ACT2_BODY_TOO_COMPLEX', message: `Request body has an array with more than ${MAX_MINIONS} elements` }),
    });
    // Every one went through the worker, and none left anything stored.
    expect(prepare).toHaveBeenCalledTimes(Object.keys(cases).length);
    prepare.mockRestore();
    for (const { database } of sides) {
      expect(await database.db.selectFrom('masters').select('sn').execute()).toEqual([]);
    }
  });

  it('stores what the main thread stores: a new master, a changed snapshot, a re-send, a stopped one', { timeout: 180_000 }, async () => {
    const minions = Array.from({ length: 25_000 }, (_, i) => minion(i));
    const changed = minions.slice(500).map((m, i) => (i < 300 ? { ...m, status: 'stopped', os: 'CentOS' } : i < 400 ? { ...m, ips: ['10.99.0.1', m.ips[0]!] } : m));
    changed.push(...Array.from({ length: 1_000 }, (_, i) => minion(i, 'new')), changed[10]!); // one repeated
    const steps = [
      JSON.stringify({ master: master('big'), minions }),
      JSON.stringify({ master: master('big'), minions: changed }),
      JSON.stringify({ master: master('big'), minions: changed }),
      JSON.stringify({ master: master('big', { status: 'stopped', error: 'salt-api down' }), minions: changed }),
      JSON.stringify({ master: master('big'), minions }),
    ];
    for (const [step, text] of steps.entries()) {
      const [viaWorker, here] = await both(text);
      expect([step, viaWorker]).toEqual([step, here]);
      expect([step, viaWorker.status]).toEqual([step, 200]);
    }
    const [a, b] = sides.map(({ database }) => database.db);
    for (const table of ['master_minions', 'minion_ips', 'minions'] as const) {
      const read = async (db: typeof a) => (await db!.selectFrom(table).selectAll().execute()).map((row) => JSON.stringify(row)).sort();
      const [x, y] = await Promise.all([read(a), read(b)]);
      expect([table, x.length]).toEqual([table, y.length]);
      expect(x).toEqual(y);
    }
    const events = async (db: typeof a) =>
      (await db!.selectFrom('events').select(['kind', 'minion_sn', 'detail']).execute()).map((row) => JSON.stringify(row)).sort();
    const [ea, eb] = await Promise.all([events(a), events(b)]);
    expect(ea.length).toBe(eb.length);
    expect(ea).toEqual(eb);
    const masters = (db: typeof a) => db!.selectFrom('masters').select(['sn', 'status', 'minion_count', 'error']).execute();
    expect(await masters(a)).toEqual(await masters(b));
  });
});

describe('a registration worker that fails', () => {
  let dir = '';
  let database: TestDatabase | undefined;
  let app: FastifyInstance | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'act2-hung-worker-'));
  });
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never answering: each call times out, the worker is stopped, 500 ACT2_INTERNAL, and its slot is freed', { timeout: 30_000 }, async () => {
    // Takes every request and answers none (a worker stuck in a loop or a deadlock looks the same from here).
    const hung = join(dir, 'hung-worker.mjs');
    writeFileSync(hung, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => {});\n");
    database = await createTestDatabase('sqlite');
    app = await buildApp(database.config({ bodyLimitBytes: 64 * 1024 * 1024, maxMinions: MAX_MINIONS }), {
      db: database.db,
      clock: manualClock(),
      scheduler: false,
      jobRunner: false,
      registerWorker: pathToFileURL(hung),
      registerWorkerTimeoutMs: 300,
    });
    const text = body('hung', 20_000);
    expect(text.length).toBeGreaterThan(PIECEWISE_ABOVE);

    // Three in turn through two slots: a slot kept by a hung worker would leave the third waiting.
    const started = performance.now();
    for (let i = 0; i < 3; i += 1) {
      const response = await app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: text });
      expect([response.statusCode, response.json().code]).toEqual([500, 'ACT2_INTERNAL']);
    }
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await database.db.selectFrom('masters').select('sn').execute()).toEqual([]);
  });

  it('failing to start at all: the slot is given back (a second registration does not wait forever)', async () => {
    // new Worker() throws synchronously for a URL it cannot load from.
    const offloader = new RegistrationOffloader(new URL('http://example.invalid/register-worker.js'), { shape: undefined as never, maxMinions: 1 }, { maxWorkers: 1 });
    const attempt = () =>
      Promise.race([
        offloader.prepare(new LargeJsonBody(Buffer.from('{}'))).then(
          () => 'prepared',
          (err: NodeJS.ErrnoException) => err.code,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting for a slot'), 2_000)),
      ]);

    expect([await attempt(), await attempt()]).toEqual(['ERR_INVALID_URL_SCHEME', 'ERR_INVALID_URL_SCHEME']);
    await offloader.close();
  });
});
