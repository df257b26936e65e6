/** Job dispatch and lookup: per-minion latency, minions that never return, retcodes, trimming, metadata. */
import { afterEach, describe, expect, it } from 'vitest';
import { generateMinions } from '../src/index.js';
import { call, login, startSim, type TestSim } from './helpers.js';

let running: TestSim | undefined;
let now = 1_796_040_000_000;

async function setup(options: Parameters<typeof startSim>[0] = {}) {
  running = await startSim({ minions: generateMinions({ count: 3, seed: 'jobs', prefix: 'm' }), clock: () => now, ...options });
  return { ...running, token: await login(running.url) };
}

afterEach(async () => {
  await running?.sim.close();
});

type Info = { info: Array<{ Minions?: string[]; Result: Record<string, { return: unknown; retcode: number; success: boolean }> }> };

describe('jobs', () => {
  it('a slow minion returns after its latency, one that never returns stays missing', async () => {
    const { sim, url, token } = await setup();
    sim.setMinionLatency('m002', 30);
    sim.setMinionLatency('m003', Number.POSITIVE_INFINITY);
    const sent = await call(url, '/', { token, body: [{ client: 'local_async', tgt: 'm*', fun: 'test.ping' }] });
    const { jid } = (sent.json() as { return: Array<{ jid: string }> }).return[0] ?? { jid: '' };

    now += 10_000;
    const early = (await call(url, `/jobs/${jid}`, { token })).json() as Info;
    now += 30_000;
    const late = (await call(url, `/jobs/${jid}`, { token })).json() as Info;
    const missing = await call(url, '/', { token, body: [{ client: 'runner', fun: 'jobs.lookup_jid', jid, missing: true }] });

    expect(Object.keys(early.info[0]?.Result ?? {})).toEqual(['m001']);
    expect(Object.keys(late.info[0]?.Result ?? {})).toEqual(['m001', 'm002']);
    expect(late.info[0]?.Minions).toEqual(['m001', 'm002', 'm003']);
    expect(missing.json()).toEqual({ return: [{ m001: true, m002: true, m003: 'Minion did not return' }] });
  });

  it('non-zero retcodes and trimmed outputs reach the job cache like salt’s (109, 104–106)', async () => {
    const { url, token } = await setup({ maxEventSize: 1000 });
    const send = async (cmd: string) => {
      const res = await call(url, '/', { token, body: [{ client: 'local_async', tgt: 'm001', fun: 'cmd.run', arg: [cmd] }] });
      const { jid } = (res.json() as { return: Array<{ jid: string }> }).return[0] ?? { jid: '' };
      return ((await call(url, `/jobs/${jid}`, { token })).json() as Info).info[0]?.Result.m001;
    };

    expect(await send('echo out; exit 3')).toEqual({ return: 'out', retcode: 3, success: false });
    expect(await send('seq 1 500')).toEqual({ return: 'VALUE_TRIMMED', retcode: 0, success: true });
    expect(await send('seq 1 5')).toEqual({ return: '1\n2\n3\n4\n5', retcode: 0, success: true });
  });

  it('jobs.list_jobs search_metadata finds the job that carried the metadata', async () => {
    const { url, token } = await setup();
    await call(url, '/', { token, body: [{ client: 'local_async', tgt: 'm001', fun: 'test.ping', metadata: { act2_job: 'a' } }] });
    const sent = await call(url, '/', { token, body: [{ client: 'local_async', tgt: 'm002', fun: 'test.ping', metadata: { act2_job: 'b' } }] });
    const { jid } = (sent.json() as { return: Array<{ jid: string }> }).return[0] ?? { jid: '' };

    const found = await call(url, '/', { token, body: [{ client: 'runner', fun: 'jobs.list_jobs', search_metadata: { act2_job: 'b' } }] });

    const jobs = (found.json() as { return: Array<Record<string, { Metadata: unknown; Target: unknown }>> }).return[0] ?? {};
    expect(Object.keys(jobs)).toEqual([jid]);
    expect(jobs[jid]).toMatchObject({ Metadata: { act2_job: 'b' }, Target: 'm002' });
  });
});
