import { type Agent, MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { capture, saltJson } from '../test/helpers/captures.js';
import { testConfig } from '../test/helpers/config.js';
import { captureLogs } from '../test/helpers/logs.js';
import { startReplayServer } from '../test/helpers/replay-server.js';
import type { Expectation, ReplayServer } from '../test/helpers/replay-server.js';
import type { AgentConfig } from './config.js';
import { runHeartbeat } from './heartbeat.js';

const RESPONSE = { master: { sn: 'MASTER-SN-1', status: 'running', recovered: false, created: true }, minions: { total: 3, joined: 3, left: 0, changed: 0 } };
const SALT_OK: Expectation[] = [
  { method: 'POST', path: '/login', reply: capture('01') },
  { method: 'POST', path: '/', reply: capture('15') },
  { method: 'POST', path: '/', reply: capture('18') },
  { method: 'POST', path: '/', reply: capture('25') },
];
const register = (reply: Expectation['reply'], check?: Expectation['check']): Expectation => ({ method: 'POST', path: '/register', reply, ...(check ? { check } : {}) });

const servers: ReplayServer[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function replay(expectations: Expectation[]): Promise<ReplayServer> {
  const server = await startReplayServer(expectations);
  servers.push(server);
  return server;
}

async function run(config: AgentConfig, extra: { random?: () => number; gzipThresholdBytes?: number } = {}) {
  const logs = captureLogs();
  const sleeps: number[] = [];
  let clock = 0;
  const result = await runHeartbeat(config, {
    log: logs.log,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: extra.random ?? (() => 1),
    ...(extra.gzipThresholdBytes === undefined ? {} : { gzipThresholdBytes: extra.gzipThresholdBytes }),
    hostname: () => 'salt-master-01',
    readFile: async () => {
      throw Object.assign(new Error('no dmi'), { code: 'ENOENT' });
    },
  });
  for (const server of servers) server.assertDone();
  return { result, logs, sleeps };
}

describe('runHeartbeat', () => {
  it('collects, registers and exits 0, logging one line per step', async () => {
    const salt = await replay(SALT_OK);
    const act2 = await replay([register(saltJson(RESPONSE), (req) => expect(req.json).toMatchObject({ master: { status: 'running' }, minions: [{ id: 'oracle-minion-1' }, {}, { status: 'stopped' }] }))]);
    const { result, logs } = await run(testConfig({ salt: { server: salt.url }, act2Server: act2.url }));
    expect(result).toMatchObject({ exitCode: 0, response: RESPONSE });
    expect(result.error).toBeUndefined();
    expect(logs.lines().filter((l) => l.level === 30).map((l) => l.msg)).toEqual(['salt login ok', 'manage.status done', 'grains collected', 'payload built', 'register ok']);
    expect(logs.lines().find((l) => l.msg === 'payload built')).toMatchObject({ minions: 3, running: 2, stopped: 1, master_status: 'running' });
  });

  it('still registers the master stopped, with the reason and no minions, when salt-api is unreachable (exit 5)', async () => {
    const act2 = await replay([
      register(saltJson(RESPONSE), (req) =>
        expect(req.json).toMatchObject({
          master: { sn: 'MASTER-SN-1', status: 'stopped', error: 'cannot reach salt-api at http://127.0.0.1:9: connection refused' },
          minions: [],
        }),
      ),
    ]);
    const { result } = await run(testConfig({ salt: { server: 'http://127.0.0.1:9' }, act2Server: act2.url }));
    expect(result).toMatchObject({ exitCode: 5, error: { code: 'ACT2_SALT_UNREACHABLE' } });
  });

  it('sends nothing with --dry-run and exits like a real run would', async () => {
    const salt = await replay(SALT_OK);
    const { result, logs } = await run(testConfig({ salt: { server: salt.url }, act2Server: undefined, dryRun: true }));
    expect(result.exitCode).toBe(0);
    expect(result.payload?.minions).toHaveLength(3);
    expect(logs.lines().at(-1)).toMatchObject({ msg: 'dry run: payload not sent', exit_code: 0 });
  });

  it('exits 3 when act2-server answers 5xx until the deadline, and 4 when it rejects the payload', async () => {
    const act2 = await replay([register(saltJson({}, 502)), register(saltJson({}, 502))]);
    const first = await run(testConfig({ salt: { server: 'http://127.0.0.1:9' }, act2Server: act2.url, deadlineMs: 1000 }));
    expect(first.result).toMatchObject({ exitCode: 3, error: { code: 'ACT2_SERVER_UNREACHABLE' } });
    expect(first.logs.lines().at(-1)).toMatchObject({ msg: 'heartbeat failed', code: 'ACT2_SERVER_UNREACHABLE' });
    const rejecting = await replay([register(saltJson({ code: 'ACT2_VALIDATION', message: 'bad' }, 422))]);
    const second = await run(testConfig({ salt: { server: 'http://127.0.0.1:9' }, act2Server: rejecting.url }));
    expect(second.result).toMatchObject({ exitCode: 4, error: { code: 'ACT2_SERVER_REJECTED' } });
  });

  it('uses injected undici dispatchers (MockAgent, network disabled, every interceptor used)', async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    const json = { headers: { 'content-type': 'application/json' } };
    const salt = mock.get('http://salt.test');
    for (const [path, number] of [['/login', '01'], ['/', '10'], ['/', '14']] as const) {
      salt.intercept({ path, method: 'POST' }).reply(200, capture(number).body.toString(), json);
    }
    mock.get('http://act2.test').intercept({ path: '/register', method: 'POST' }).reply(200, JSON.stringify(RESPONSE), json);
    const result = await runHeartbeat(testConfig({ salt: { server: 'http://salt.test' }, act2Server: 'http://act2.test' }), {
      log: captureLogs().log,
      collectorDispatcher: mock,
      act2Dispatcher: mock,
    });
    expect(result).toMatchObject({ exitCode: 0, response: RESPONSE });
    mock.assertNoPendingInterceptors();
    await mock.close();
  });

  it('sends the registration uncompressed with --no-gzip', async () => {
    const salt = await replay(SALT_OK);
    const act2 = await replay([register(saltJson(RESPONSE), (req) => expect(req.headers['content-encoding']).toBeUndefined())]);
    const { result } = await run(testConfig({ salt: { server: salt.url }, act2Server: act2.url, gzip: false }), { gzipThresholdBytes: 1 });
    expect(result.exitCode).toBe(0);
  });

  it('refuses a hand-built config without act2-server that is not a dry run', async () => {
    const { result } = await run(testConfig({ act2Server: undefined }));
    expect(result).toMatchObject({ exitCode: 2, error: { code: 'ACT2_CONFIG' } });
  });

  it('sleeps a random part of --splay first, and logs the master sn fallback', async () => {
    const { sleeps, logs, result } = await run(testConfig({ splayMs: 10_000, masterSn: undefined, dryRun: true }), { random: () => 0.25 });
    expect(sleeps).toEqual([2500]);
    expect(result.payload?.master.sn).toBe('salt-master-01');
    expect(logs.lines().find((l) => l.msg === 'master sn fallback')).toMatchObject({ level: 40, source: 'hostname', sn: 'salt-master-01' });
  });

  it('never logs the salt-api password or token, even at debug level with a re-login', async () => {
    const salt = await replay([SALT_OK[0] as Expectation, { method: 'POST', path: '/', reply: capture('27') }, ...SALT_OK]);
    const act2 = await replay([register(saltJson(RESPONSE))]);
    const { result, logs } = await run(testConfig({ salt: { server: salt.url }, act2Server: act2.url, logLevel: 'debug' }));
    expect(result.exitCode).toBe(0);
    const text = logs.text();
    expect(text).toContain('"msg":"salt-api call"');
    expect(text).not.toContain('pw-s3cret-123');
    expect(text).not.toContain('f72c45c225d0cec0bd711080f880892c144f073b');
  });
});
