/** Runner semantics and the simulated time they take (delays recorded, never waited for). */
import { afterEach, describe, expect, it } from 'vitest';
import { generateMinions, type SimMinion } from '../src/index.js';
import { call, login, pageMessage, startSim, type TestSim } from './helpers.js';

const fleet = (): SimMinion[] => generateMinions({ count: 4, seed: 'runner', prefix: 'm' });
let running: TestSim | undefined;

async function setup(options: Parameters<typeof startSim>[0] = {}) {
  running = await startSim({ minions: fleet(), ...options });
  return { ...running, token: await login(running.url) };
}

afterEach(async () => {
  await running?.sim.close();
});

async function runner(url: string, token: string, chunk: Record<string, unknown>) {
  return call(url, '/', { token, body: [{ client: 'runner', ...chunk }] });
}

describe('manage.status', () => {
  it('answers at once when every minion is up, after the configured ping latency', async () => {
    const { url, token, delays } = await setup({ pingLatencyMs: 250 });

    const res = await runner(url, token, { fun: 'manage.status' });

    expect(res.json()).toEqual({ return: [{ up: ['m001', 'm002', 'm003', 'm004'], down: [] }] });
    expect(delays).toEqual([250]);
  });

  it('takes timeout + gather_job_timeout (5 + 10 s) when a minion is down (capture 15)', async () => {
    const { sim, url, token, delays } = await setup();
    sim.setMinionUp('m003', false);

    const res = await runner(url, token, { fun: 'manage.status' });

    expect(res.json()).toEqual({ return: [{ up: ['m001', 'm002', 'm004'], down: ['m003'] }] });
    expect(delays).toEqual([15_000]);
  });

  it('takes its own timeouts from kwarg (captures 16, 78) and top-level keys other than timeout (77)', async () => {
    const { sim, url, token, delays } = await setup();
    sim.setMinionUp('m001', false);

    await runner(url, token, { fun: 'manage.status', kwarg: { timeout: 1, gather_job_timeout: 1 } });
    await runner(url, token, { fun: 'manage.status', kwarg: { timeout: 1 } });
    const toplevel = await runner(url, token, { fun: 'manage.status', timeout: 30, gather_job_timeout: 1 });

    expect(toplevel.status).toBe(200);
    expect(delays).toEqual([2_000, 11_000, 6_000]);
  });

  it('treats a top-level timeout as the API wait: 504 when the runner needs longer (capture 17)', async () => {
    const { sim, url, token, delays } = await setup();
    sim.setMinionUp('m001', false);

    const res = await runner(url, token, { fun: 'manage.status', timeout: 1, gather_job_timeout: 1 });

    expect(res.status).toBe(504);
    expect(pageMessage(res.text)).toBe('The gateway server did not receive a timely response');
    expect(delays).toEqual([1_000]);
  });

  it('scales every delay by timeScale', async () => {
    const { sim, url, token, delays } = await setup({ timeScale: 0.01 });
    sim.setMinionUp('m001', false);

    await runner(url, token, { fun: 'manage.status' });

    expect(delays).toEqual([150]);
  });

  it('pings only its own target, and an empty match is {"up": [], "down": []}', async () => {
    const { url, token } = await setup();

    const one = await runner(url, token, { fun: 'manage.status', tgt: 'm002' });
    const none = await runner(url, token, { fun: 'manage.status', tgt: 'nothing' });
    const up = await runner(url, token, { fun: 'manage.up' });

    expect(one.json()).toEqual({ return: [{ up: ['m002'], down: [] }] });
    expect(none.json()).toEqual({ return: [{ up: [], down: [] }] });
    expect(up.json()).toEqual({ return: [['m001', 'm002', 'm003', 'm004']] });
  });
});

describe('cache.grains and runner failures', () => {
  it('serves cached grains of down minions too, and {} for never-cached ones', async () => {
    const minions = fleet();
    minions[1] = { ...(minions[1] as SimMinion), up: false };
    minions[2] = { ...(minions[2] as SimMinion), cached: false };
    const { url, token, delays } = await setup({ minions });

    const res = await runner(url, token, { fun: 'cache.grains', tgt: 'm00[1-3]' });
    const ret = (res.json() as { return: Array<Record<string, Record<string, unknown>>> }).return[0] ?? {};

    expect(Object.keys(ret)).toEqual(['m001', 'm002', 'm003']);
    expect(ret.m002?.id).toBe('m002');
    expect(ret.m003).toEqual({});
    expect(delays).toEqual([]);
  });

  it('accepts tgt positionally (arg) and tgt_type list', async () => {
    const { url, token } = await setup();

    const res = await runner(url, token, { fun: 'cache.grains', arg: [['m004', 'm001']], kwarg: { tgt_type: 'list' } });

    expect(Object.keys((res.json() as { return: Array<Record<string, unknown>> }).return[0] ?? {})).toEqual(['m004', 'm001']);
  });

  it('answers 200 with the "Passed invalid arguments" string when tgt is missing', async () => {
    const { url, token } = await setup();

    const res = await runner(url, token, { fun: 'cache.grains' });
    const [ret] = (res.json() as { return: string[] }).return;

    expect(res.status).toBe(200);
    expect(ret).toMatch(/^\nPassed invalid arguments: grains\(\) missing 1 required positional argument: 'tgt'\n\nUsage:\n\n {4}\.\. versionchanged:: 2017\.7\.0/);
  });

  it('answers 500 JSON for a runner function that does not exist (capture 41)', async () => {
    const { url, token } = await setup();

    const res = await runner(url, token, { fun: 'manage.nosuchfn' });

    expect(res.status).toBe(500);
    expect(res.text).toBe('{"status": 500, "return": "An unexpected error occurred"}');
  });

  it('needs @runner: a user without it gets the 401 the master words (capture 31)', async () => {
    running = await startSim({ minions: fleet(), users: [{ name: 'limited', password: 'pw', eauth: 'file', perms: ['test.*'] }] });
    const token = await login(running.url, 'limited', 'pw', 'file');

    const res = await runner(running.url, token, { fun: 'manage.status' });

    expect(res.status).toBe(401);
    expect(pageMessage(res.text)).toBe('Authentication failure of type "token" occurred for user limited.');
  });

  it('runs runner_async and lists runner jobs', async () => {
    const { url, token } = await setup();

    const res = await runner(url, token, { client: 'runner_async', fun: 'manage.status' });
    const [ret] = (res.json() as { return: Array<{ tag: string; jid: string }> }).return;
    const jobs = await call(url, '/jobs', { token });
    const listed = (jobs.json() as { return: Array<Record<string, { Function: string; Target: string }>> }).return[0] ?? {};

    expect(ret?.tag).toBe(`salt/run/${ret?.jid}`);
    expect(listed[ret?.jid ?? '']).toMatchObject({ Function: 'runner.manage.status', Target: 'salt-master_master' });
  });
});
