/** The local client family: returns, silent minions, targeting, full_return, async jobs. */
import { afterEach, describe, expect, it } from 'vitest';
import { generateMinions } from '../src/index.js';
import { call, login, pageMessage, startSim, type TestSim } from './helpers.js';

let running: TestSim | undefined;

async function setup(options: Parameters<typeof startSim>[0] = {}) {
  running = await startSim({ minions: generateMinions({ count: 3, seed: 'local', prefix: 'm' }), ...options });
  return { ...running, token: await login(running.url) };
}

afterEach(async () => {
  await running?.sim.close();
});

type Ret = { return: Array<Record<string, unknown>> };

describe('local', () => {
  it('grains.item: a down minion is false after 5 + 10 s, a missing grain is ""', async () => {
    const { sim, url, token, delays } = await setup();
    sim.setMinionUp('m002', false);

    const res = await call(url, '/', { token, body: [{ client: 'local', tgt: '*', fun: 'grains.item', arg: ['id', 'no_such_grain'] }] });

    expect(res.json()).toEqual({ return: [{ m001: { id: 'm001', no_such_grain: '' }, m003: { id: 'm003', no_such_grain: '' }, m002: false }] });
    expect(delays).toEqual([15_000]);
  });

  it('uses the top-level timeout and gather_job_timeout of the chunk (captures 23, 24)', async () => {
    const { sim, url, token, delays } = await setup();
    sim.setMinionUp('m002', false);
    const chunk = { client: 'local', tgt: '*', fun: 'test.ping' };

    await call(url, '/', { token, body: [{ ...chunk, timeout: 1, gather_job_timeout: 1 }] });
    await call(url, '/', { token, body: [{ ...chunk, timeout: 1 }] });

    expect(delays).toEqual([2_000, 11_000]);
  });

  it('wraps returns with full_return and takes a single arg string', async () => {
    const { url, token } = await setup();

    const res = await call(url, '/', { token, body: [{ client: 'local', tgt: 'm001', fun: 'grains.item', arg: 'host', full_return: true }] });
    const entry = (res.json() as Ret).return[0]?.m001 as Record<string, unknown>;

    expect(Object.keys(entry)).toEqual(['ret', 'out', 'retcode', 'jid']);
    expect(entry).toMatchObject({ ret: { host: 'm001' }, out: 'nested', retcode: 0 });
  });

  it('gives {} at once when nothing matches (capture 22) and honours list targets', async () => {
    const { url, token, delays } = await setup();

    const none = await call(url, '/', { token, body: [{ client: 'local', tgt: 'zzz', fun: 'test.ping' }] });
    const list = await call(url, '/', { token, body: [{ client: 'local', tgt: ['m003', 'm001'], tgt_type: 'list', fun: 'test.ping' }] });

    expect(none.text).toBe('{"return": [{}]}');
    expect(list.text).toBe('{"return": [{"m003": true, "m001": true}]}');
    expect(delays).toEqual([]);
  });

  it('enforces the ACL: functions outside it give 401 "Authorization error occurred."', async () => {
    running = await startSim({ minions: generateMinions({ count: 2, seed: 'acl' }), users: [{ name: 'limited', password: 'pw', eauth: 'file', perms: ['test.*'] }] });
    const token = await login(running.url, 'limited', 'pw', 'file');

    const denied = await call(running.url, '/', { token, body: [{ client: 'local', tgt: '*', fun: 'grains.item', arg: ['id'] }] });
    const allowed = await call(running.url, '/', { token, body: [{ client: 'local', tgt: '*', fun: 'test.ping' }] });

    expect(denied.status).toBe(401);
    expect(pageMessage(denied.text)).toBe('Authorization error occurred.');
    expect(allowed.status).toBe(200);
  });

  it('answers an unknown function the way a minion does', async () => {
    const { url, token } = await setup();

    const res = await call(url, '/', { token, body: [{ client: 'local', tgt: 'm001', fun: 'nope.nothing' }] });

    expect(res.json()).toEqual({ return: [{ m001: "'nope.nothing' is not available." }] });
  });

  it('runs local_async (POST /minions → 202) and keeps the job for /jobs/<jid>', async () => {
    const { sim, url, token } = await setup();
    sim.setMinionUp('m003', false);

    const started = await call(url, '/minions', { token, body: [{ tgt: '*', fun: 'test.ping' }] });
    const { jid } = ((started.json() as Ret).return[0] ?? {}) as { jid: string };
    const job = await call(url, `/jobs/${jid}`, { token });
    const body = job.json() as { info: Array<Record<string, unknown>>; return: unknown[] };

    expect(started.status).toBe(202);
    expect(started.json()).toEqual({ return: [{ jid, minions: ['m001', 'm002', 'm003'] }], _links: { jobs: [{ href: `/jobs/${jid}` }] } });
    expect(body.info[0]).toMatchObject({ jid, Function: 'test.ping', Minions: ['m001', 'm002', 'm003'], User: 'salt-api' });
    expect(body.return).toEqual([{ m001: true, m002: true }]);
  });

  it('GET /minions and /minions/<id> are grains.items', async () => {
    const { sim, url, token } = await setup();
    sim.setMinionUp('m002', false);

    const all = (await call(url, '/minions', { token })).json() as Ret;
    const one = (await call(url, '/minions/m003', { token })).json() as Ret;

    expect(all.return[0]?.m002).toBe(false);
    expect(one.return[0]?.m003).toEqual(sim.minion('m003')?.grains);
  });
});
