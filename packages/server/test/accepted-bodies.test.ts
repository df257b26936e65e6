import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { PIECEWISE_ABOVE } from '../src/http/body.js';
import { AcceptedBodies, bodyHash } from '../src/register/accepted-bodies.js';
import { RegistrationOffloader } from '../src/register/offload.js';
import type { PreparedSummary } from '../src/register/worker-protocol.js';
import { createTestDatabase, describeEachDialect, manualClock, type ManualClock, type TestDatabase } from './helpers/db.js';
import { buildRegisterWorker } from './helpers/register-worker.js';

// Issue 12: an identical re-send of a huge registration (a real master's body, every 30 min) skips
// the worker's parse, validation and normalising when its bytes equal those of a body its master
// had accepted (register/accepted-bodies.ts). The registration itself still runs: master fields,
// last_seen, transitions; the set is skipped only on the stored digest, and prepared after all
// when the stored state moved.

const summary = (sn: string, digest = 'd'): PreparedSummary => ({
  envelope: { master: { sn, server: `http://${sn}:8001`, status: 'running', idc: 'b', type: 'salt' }, minions: [] } as never,
  listed: 1,
  count: 1,
  digest,
});

describe('AcceptedBodies', () => {
  it('keeps one body per master, the latest', () => {
    const memo = new AcceptedBodies();
    memo.remember('h1', summary('a'));
    memo.remember('h2', summary('a', 'e'));
    expect(memo.get('h1')).toBeUndefined();
    expect(memo.get('h2')?.digest).toBe('e');
    expect(memo.size).toBe(1);
  });

  it('drops the least recently used past its bound', () => {
    const memo = new AcceptedBodies(2);
    memo.remember('h1', summary('a'));
    memo.remember('h2', summary('b'));
    memo.get('h1');
    memo.remember('h3', summary('c'));
    expect(memo.get('h2')).toBeUndefined();
    expect(memo.get('h1')).toBeDefined();
    expect(memo.get('h3')).toBeDefined();
    memo.forget('c');
    expect(memo.get('h3')).toBeUndefined();
  });

  it('hands out copies', () => {
    const memo = new AcceptedBodies();
    memo.remember('h', summary('a'));
    memo.get('h')!.envelope.master.sn = 'changed';
    expect(memo.get('h')!.envelope.master.sn).toBe('a');
  });

  it('hashes the exact bytes, in steps', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 0x20);
    const other = Buffer.from(big);
    other[other.length - 1] = 0x0a;
    expect(await bodyHash(big)).not.toBe(await bodyHash(other));
    expect(await bodyHash(big)).toBe(await bodyHash(Buffer.from(big)));
  });
});

const minion = (i: number) => ({
  sn: `m-${String(i).padStart(6, '0')}`,
  status: 'running',
  ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `172.16.${(i >> 8) & 255}.${i & 255}`],
  id: `m-${String(i).padStart(6, '0')}.dc1.example.com`,
  uuid: `4c4c4544-0042-3510-8056-${String(i).padStart(12, '0')}`,
  serial: `SN${String(i).padStart(10, '0')}`,
  os: 'CentOS Linux 7.9.2009',
  saltversion: '3006.10',
});
const body = (sn: string, count: number, server = `http://${sn}:8001`) =>
  JSON.stringify({ master: { sn, server, status: 'running', idc: 'b', type: 'salt' }, minions: Array.from({ length: count }, (_, i) => minion(i)) });

describeEachDialect('byte-identical re-sends of huge registrations', (dialect) => {
  let worker: ReturnType<typeof buildRegisterWorker>;
  let database: TestDatabase;
  let app: FastifyInstance;
  let clock: ManualClock;

  beforeAll(async () => {
    worker = buildRegisterWorker();
    database = await createTestDatabase(dialect);
    clock = manualClock();
    app = await buildApp(database.config({ bodyLimitBytes: 64 * 1024 * 1024 }), { db: database.db, clock, scheduler: false, jobRunner: false, registerWorker: worker.url });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
    worker?.remove();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const post = async (text: string) => {
    const response = await app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: text });
    return { status: response.statusCode, body: response.json() as { master: Record<string, unknown>; minions: Record<string, number> } };
  };
  const inWorker = () => vi.spyOn(RegistrationOffloader.prototype as unknown as { prepareInWorker: () => Promise<unknown> }, 'prepareInWorker');
  const stored = async (sn: string) =>
    (await database.db.selectFrom('master_minions').select(({ fn }) => fn.countAll<number | string | bigint>().as('n')).where('master_sn', '=', sn).executeTakeFirstOrThrow()).n;
  const masterRow = (sn: string) => database.db.selectFrom('masters').selectAll().where('sn', '=', sn).executeTakeFirstOrThrow();

  // 5,000 minions (> 1 MiB, the one-transaction path on SQLite) and 12,000 (chunked on SQLite).
  for (const count of [5_000, 12_000]) {
    it(`skips preparing a byte-identical re-send of ${count} minions, and still writes the master`, { timeout: 60_000 }, async () => {
      const sn = `same-${count}`;
      const text = body(sn, count);
      expect(text.length).toBeGreaterThan(PIECEWISE_ABOVE);
      const spy = inWorker();
      expect((await post(text)).body.minions).toEqual({ total: count, joined: count, left: 0, changed: 0 });
      expect(spy).toHaveBeenCalledTimes(1);

      clock.advance(60_000);
      const again = await post(text);
      expect(again.status).toBe(200);
      expect(again.body.minions).toEqual({ total: count, joined: 0, left: 0, changed: 0 });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(Number((await masterRow(sn)).last_seen)).toBe(clock.now);

      // Not byte-identical (a master field changed): prepared and checked in full, and applied.
      const moved = body(sn, count, `http://${sn}-moved:8001`);
      expect((await post(moved)).body.minions).toEqual({ total: count, joined: 0, left: 0, changed: 0 });
      expect(spy).toHaveBeenCalledTimes(2);
      expect((await masterRow(sn)).server).toBe(`http://${sn}-moved:8001`);
      // And the first body again: the master's latest accepted body is the moved one, so a miss.
      expect((await post(text)).status).toBe(200);
      expect(spy).toHaveBeenCalledTimes(3);
      expect((await masterRow(sn)).server).toBe(`http://${sn}:8001`);
    });
  }

  it('prepares the minions after all when the stored set moved since', { timeout: 60_000 }, async () => {
    const sn = 'moved-state';
    const text = body(sn, 12_000);
    await post(text);
    // Another instance (or an interrupted chunked write) left a different set and no digest.
    const gone = await database.db.deleteFrom('minion_ips').where('master_sn', '=', sn).where('minion_sn', '<', 'm-000100').executeTakeFirst();
    expect(gone).toBeDefined();
    await database.db.deleteFrom('master_minions').where('master_sn', '=', sn).where('minion_sn', '<', 'm-000100').execute();
    await database.db.updateTable('masters').set({ minion_digest: null }).where('sn', '=', sn).execute();
    const spy = inWorker();
    const again = await post(text);
    expect(again.body.minions).toEqual({ total: 12_000, joined: 100, left: 0, changed: 0 });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(Number(await stored(sn))).toBe(12_000);
    // Stored again as the body says: the next re-send skips once more.
    expect((await post(text)).body.minions).toEqual({ total: 12_000, joined: 0, left: 0, changed: 0 });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  for (const count of [5_000, 12_000]) {
    it(`prepares the minions of a known body whose master is gone (${count} minions)`, { timeout: 60_000 }, async () => {
      const sn = `gone-${count}`;
      const text = body(sn, count);
      await post(text);
      await database.db.deleteFrom('minion_ips').where('master_sn', '=', sn).execute();
      await database.db.deleteFrom('master_minions').where('master_sn', '=', sn).execute();
      await database.db.deleteFrom('masters').where('sn', '=', sn).execute();
      const spy = inWorker();
      const again = await post(text);
      expect(again.body.master).toMatchObject({ created: true });
      expect(again.body.minions).toEqual({ total: count, joined: count, left: 0, changed: 0 });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(Number(await stored(sn))).toBe(count);
    });
  }

  it('skips parsing a byte-identical re-send of a small body, and prepares it in a worker when the stored set moved', { timeout: 60_000 }, async () => {
    const sn = 'small';
    const text = body(sn, 1_000);
    expect(text.length).toBeLessThan(PIECEWISE_ABOVE);
    const prepare = vi.spyOn(RegistrationOffloader.prototype, 'prepare');
    const spy = inWorker();
    // The first send is parsed on the main thread, as ever.
    expect((await post(text)).body.minions).toEqual({ total: 1_000, joined: 1_000, left: 0, changed: 0 });
    expect(prepare).not.toHaveBeenCalled();
    clock.advance(60_000);
    const again = await post(text);
    expect(again.body).toMatchObject({ master: { sn, status: 'running', created: false }, minions: { total: 1_000, joined: 0, left: 0, changed: 0 } });
    expect(prepare).toHaveBeenCalledTimes(1);
    expect(spy).not.toHaveBeenCalled();
    expect(Number((await masterRow(sn)).last_seen)).toBe(clock.now);

    await database.db.deleteFrom('minion_ips').where('master_sn', '=', sn).where('minion_sn', '>=', 'm-000990').execute();
    await database.db.deleteFrom('master_minions').where('master_sn', '=', sn).where('minion_sn', '>=', 'm-000990').execute();
    await database.db.updateTable('masters').set({ minion_digest: 'stale' }).where('sn', '=', sn).execute();
    expect((await post(text)).body.minions).toEqual({ total: 1_000, joined: 10, left: 0, changed: 0 });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(Number(await stored(sn))).toBe(1_000);

    // A stopped registration keeps the set; its re-send is known too.
    const stopped = JSON.stringify({ ...(JSON.parse(text) as object), master: { sn, server: `http://${sn}:8001`, status: 'stopped', idc: 'b', type: 'salt' } });
    expect((await post(stopped)).body).toMatchObject({ master: { status: 'stopped' }, minions: { total: 1_000 } });
    expect((await post(stopped)).body).toMatchObject({ master: { status: 'stopped' }, minions: { total: 1_000, joined: 0, left: 0, changed: 0 } });
    expect(prepare).toHaveBeenCalledTimes(3);
    expect(spy).toHaveBeenCalledTimes(1);
    expect((await masterRow(sn)).status).toBe('stopped');
  });

  it('recovers a timed-out master on a byte-identical re-send', { timeout: 60_000 }, async () => {
    const sn = 'timed-out';
    const text = body(sn, 5_000);
    expect(text.length).toBeGreaterThan(PIECEWISE_ABOVE);
    await post(text);
    clock.advance(24 * 3600_000);
    const spy = inWorker();
    const again = await post(text);
    expect(again.status).toBe(200);
    expect(again.body.master).toMatchObject({ sn, status: 'running', recovered: true, created: false });
    expect(spy).not.toHaveBeenCalled();
    expect((await masterRow(sn)).status).toBe('running');
  });

  it('never remembers a refused body', { timeout: 60_000 }, async () => {
    const bad = body('refused', 12_000).replace('"10.0.0.5"', '"10.0.0.500"');
    const spy = inWorker();
    expect((await post(bad)).status).toBe(400);
    expect((await post(bad)).status).toBe(400);
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
