import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { capture, cherrypyPage, saltJson } from '../../../test/helpers/captures.js';
import { testConfig } from '../../../test/helpers/config.js';
import { captureLogs } from '../../../test/helpers/logs.js';
import { startReplayServer } from '../../../test/helpers/replay-server.js';
import type { Expectation, ReplayServer } from '../../../test/helpers/replay-server.js';
import type { SaltSettings } from './config.js';

const login: Expectation = { method: 'POST', path: '/login', reply: capture('01') };
const post = (reply: Expectation['reply'], check?: Expectation['check']): Expectation => ({ method: 'POST', path: '/', reply, ...(check ? { check } : {}) });
const minion = (id: string, status: 'running' | 'stopped') => ({ id, sn: id, status, ips: ['192.0.2.2'], os: 'Debian 12', saltversion: '3006.10' });
// grains.item asks only for these, so its answers (14, 18) carry no os/saltversion.
const liveMinion = (id: string) => ({ id, sn: id, status: 'running', ips: ['192.0.2.2'] });

let server: ReplayServer | undefined;
let agent: Agent | undefined;

afterEach(async () => {
  await agent?.close();
  await server?.close();
});

async function collect(expectations: Expectation[], overrides: Partial<SaltSettings> = {}) {
  server = await startReplayServer(expectations);
  agent = new Agent();
  const logs = captureLogs();
  const result = await testConfig({ salt: { server: server.url, ...overrides } }).collector.collect({ log: logs.log, dispatcher: agent, now: Date.now });
  server.assertDone();
  return { result, logs };
}

describe('salt collector', () => {
  it('live: grains.item over the up minions only, cache.grains over the down one (captures 15, 18, 25)', async () => {
    const { result } = await collect([
      login,
      post(capture('15'), (req) => expect(req.json).toEqual([{ client: 'runner', fun: 'manage.status', kwarg: { timeout: 1, gather_job_timeout: 2 } }])),
      post(capture('18'), (req) =>
        expect(req.json).toEqual([
          {
            client: 'local', tgt: ['oracle-minion-1', 'oracle-minion-2'], tgt_type: 'list', fun: 'grains.item',
            arg: ['id', 'ip4_interfaces', 'ipv4', 'serialnumber', 'uuid', 'os', 'osrelease', 'saltversion'], timeout: 1, gather_job_timeout: 2,
          },
        ]),
      ),
      post(capture('25'), (req) => expect(req.json).toEqual([{ client: 'runner', fun: 'cache.grains', tgt: ['oracle-minion-3'], tgt_type: 'list' }])),
    ]);
    expect(result).toEqual({
      status: 'running',
      minions: [liveMinion('oracle-minion-1'), liveMinion('oracle-minion-2'), minion('oracle-minion-3', 'stopped')],
      warnings: [],
    });
  });

  it('live: an up minion answering false to grains.item falls back to the cache and stays running (10, 18, 13)', async () => {
    const { result } = await collect([
      login,
      post(capture('10')),
      post(capture('18')),
      post(capture('13'), (req) => expect(req.json).toEqual([{ client: 'runner', fun: 'cache.grains', tgt: ['oracle-minion-3'], tgt_type: 'list' }])),
    ]);
    expect(result.minions).toEqual([liveMinion('oracle-minion-1'), liveMinion('oracle-minion-2'), minion('oracle-minion-3', 'running')]);
  });

  it('live with everything up makes no cache call (10, 14)', async () => {
    const { result } = await collect([login, post(capture('10')), post(capture('14'))]);
    expect(result.minions.map((m) => [m.id, m.status])).toEqual([['oracle-minion-1', 'running'], ['oracle-minion-2', 'running'], ['oracle-minion-3', 'running']]);
  });

  it("cache: one cache.grains over '*' (15, 25)", async () => {
    const { result } = await collect([login, post(capture('15')), post(capture('25'), (req) => expect(req.json).toEqual([{ client: 'runner', fun: 'cache.grains', tgt: '*' }]))], {
      grainsSource: 'cache',
    });
    expect(result.minions).toEqual([minion('oracle-minion-1', 'running'), minion('oracle-minion-2', 'running'), minion('oracle-minion-3', 'stopped')]);
  });

  it('asks for the --minion-sn-grain and uses it when meaningful', async () => {
    const grains = { return: [{ m1: { id: 'm1', ipv4: ['10.0.0.1'], serialnumber: 'CZ123', asset: 'A-77' }, m2: { id: 'm2', ipv4: ['10.0.0.2'], serialnumber: 'None', asset: 'Not Specified' } }] };
    const { result } = await collect(
      [login, post(saltJson({ return: [{ up: ['m1', 'm2'], down: [] }] })), post(saltJson(grains), (req) => expect((req.json as [{ arg: string[] }])[0].arg.at(-1)).toBe('asset'))],
      { minionSnGrain: 'asset' },
    );
    expect(result.minions).toEqual([
      { id: 'm1', sn: 'A-77', status: 'running', ips: ['10.0.0.1'], serial: 'CZ123' },
      { id: 'm2', sn: 'm2', status: 'running', ips: ['10.0.0.2'] },
    ]);
  });

  it('degrades when grains fail: cache for the up ones, then no IPs, master still running', async () => {
    const denied = cherrypyPage(401, 'Unauthorized', 'Authorization error occurred.');
    const { result, logs } = await collect([
      login,
      post(capture('15')),
      post(denied),
      post(cherrypyPage(503, 'Service Unavailable', 'Salt Master is not available.')),
    ]);
    expect(result).toEqual({
      status: 'running',
      minions: ['oracle-minion-1', 'oracle-minion-2', 'oracle-minion-3'].map((id, i) => ({ id, sn: id, status: i < 2 ? 'running' : 'stopped', ips: [] })),
      warnings: [
        'grains.item failed: salt-api user apiuser may not call grains.item (check external_auth)',
        'cache.grains failed: salt-api answered 503 to runner cache.grains: Salt Master is not available.',
      ],
    });
    expect(logs.lines().filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['grains.item failed, using cached grains', 'cache.grains failed, those minions are reported without IPs']);
  });

  it.each([
    ['a refused login', [{ ...login, reply: capture('05') }], 'ACT2_SALT_LOGIN_REFUSED'],
    ['manage.status failing as a string', [login, post(saltJson({ return: ["Exception occurred in runner manage.status: boom"] }))], 'ACT2_SALT_RUNNER_FAILED'],
    ['manage.status of the wrong shape', [login, post(saltJson({ return: [{ up: 'all' }] }))], 'ACT2_SALT_BAD_RESPONSE'],
    ['a master that is down', [login, post(capture('75'))], 'ACT2_SALT_UNAVAILABLE'],
  ] as const)('reports the master stopped on %s, never throwing', async (_, expectations, code) => {
    const { result, logs } = await collect([...expectations]);
    expect(result).toMatchObject({ status: 'stopped', minions: [], code });
    expect(logs.lines().at(-1)).toMatchObject({ msg: 'salt-api unavailable', code });
  });

  it('logs one line per step', async () => {
    const { logs } = await collect([login, post(capture('15')), post(capture('18')), post(capture('25'))]);
    const info = logs.lines().filter((l) => l.level === 30);
    expect(info.map((l) => l.msg)).toEqual(['salt login ok', 'manage.status done', 'grains collected']);
    expect(info[1]).toMatchObject({ up: 2, down: 1 });
    expect(info[2]).toMatchObject({ source: 'live', live: 2, cached: 1, missing: 0 });
  });

  it('skips minion ids the contract cannot carry instead of failing the registration', async () => {
    const { result, logs } = await collect([
      login,
      post(saltJson({ return: [{ up: ['bad\nid', 'web-01'], down: [] }] })),
      post(saltJson({ return: [{ 'web-01': { id: 'web-01', ip4_interfaces: { eth0: ['10.0.0.1'] } } }] }), (req) =>
        expect((req.json as Array<{ tgt: unknown }>)[0]?.tgt).toEqual(['web-01']),
      ),
    ]);

    expect(result.minions.map((m) => m.id)).toEqual(['web-01']);
    expect(logs.lines().find((l) => l.msg === 'minion ids the contract cannot carry, skipped')).toMatchObject({ minions: 1 });
  });
});
