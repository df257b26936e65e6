/**
 * End to end: the real agent (its CLI, in-process) → the salt-api simulator → a real act2-server on
 * a real database, once on SQLite and once on the machine's PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSaltApiSim, generateMinions, type SaltApiSim, type SimMinion } from '@act2/salt-api-sim';
import { startServer, type RunningServer } from '@act2/server';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '@act2/server/testing';
import { MasterDetail } from '@act2/shared';
import { runCliCaptured } from './helpers/run-cli.js';

const USER = 'salt-api';
const PASSWORD = 'e2e-password';
const EXCLUDED = [/^lo$/, /^docker0$/, /^virbr/, /^veth/];

/** What the server should hold for a minion, derived from the simulator's grains independently of the agent. */
function expectedIps(minion: SimMinion): string[] {
  const interfaces = (minion.grains.ip4_interfaces ?? {}) as Record<string, string[]>;
  const ips = Object.entries(interfaces)
    .filter(([name]) => !EXCLUDED.some((re) => re.test(name)))
    .flatMap(([, addrs]) => addrs)
    .filter((ip) => !ip.startsWith('127.') && !ip.startsWith('169.254.') && ip !== '0.0.0.0');
  return [...new Set(ips)];
}

async function getMaster(server: RunningServer, sn: string): Promise<MasterDetail> {
  const res = await fetch(`${server.url}/api/v1/masters/${encodeURIComponent(sn)}`);
  expect(res.status).toBe(200);
  return MasterDetail.parse(await res.json());
}

describeEachDialect('agent → salt-api simulator → act2-server', (dialect) => {
  let database: TestDatabase;
  let server: RunningServer;
  let sim: SaltApiSim;
  let saltUrl: string;
  const minions = generateMinions({ count: 60, down: 4, seed: `e2e-${dialect}`, prefix: 'e2e-' });

  const agent = (sn: string, extra: string[] = [], act2 = server.url) =>
    runCliCaptured(
      ['--salt-server', saltUrl, '--act2-server', act2, '--idc', 'e2e', '--master-sn', sn, '--ping-timeout', '1s', '--gather-job-timeout', '1s', '--deadline', '3s', ...extra],
      { ACT2_SALT_PASSWORD: PASSWORD },
    );

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    server = await startServer(database.config());
    sim = createSaltApiSim({ minions, users: [{ name: USER, password: PASSWORD, eauth: 'pam', perms: ['.*', '@runner'] }], timeScale: 0.01 });
    saltUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await sim?.close();
    await server?.close();
    await database?.destroy();
  });

  it('stores exactly what the simulator holds: every minion, its status and its IPs', async () => {
    const run = await agent('E2E-MASTER-1');

    expect(run.exitCode).toBe(0);
    const master = await getMaster(server, 'E2E-MASTER-1');
    expect(master).toMatchObject({ status: 'running', idc: 'e2e', type: 'salt', server: saltUrl, minion_count: 60 });
    const stored = Object.fromEntries(master.minions.map((m) => [m.sn, { status: m.status, ips: m.ips }]));
    const held = Object.fromEntries(
      sim.minions().map((m) => [m.id, { status: m.up ? 'running' : 'stopped', ips: expectedIps(m) }]),
    );
    expect(stored).toEqual(held);
  });

  it('shows a minion taken down as stopped after the next run', async () => {
    const victim = sim.minions().find((m) => m.up)?.id ?? '';
    sim.setMinionUp(victim, false);

    const run = await agent('E2E-MASTER-1');

    expect(run.exitCode).toBe(0);
    const master = await getMaster(server, 'E2E-MASTER-1');
    expect(master.minions.find((m) => m.sn === victim)?.status).toBe('stopped');
    expect(master.minion_count).toBe(60);
    sim.setMinionUp(victim, true);
  });

  it('registers the master stopped, with the reason, when salt-api is down, keeping its minions', async () => {
    sim.setMasterDown('no-ipc');
    try {
      const run = await agent('E2E-MASTER-1');

      expect(run.exitCode).toBe(5);
      const master = await getMaster(server, 'E2E-MASTER-1');
      expect(master.status).toBe('stopped');
      expect(master.error).toMatch(/503|not available/i);
      expect(master.minions).toHaveLength(60);
    } finally {
      sim.setMasterDown(false);
    }
  });

  it('exits non-zero with a clear log line when act2-server is down', async () => {
    const dead = 'http://127.0.0.1:9';

    const run = await agent('E2E-MASTER-2', ['--deadline', '1s'], dead);

    expect(run.exitCode).toBe(3);
    const failure = run.logs.find((l) => l.msg === 'heartbeat failed');
    expect(failure).toMatchObject({ code: expect.stringMatching(/^ACT2_/) });
    expect(String(failure?.reason)).toContain('127.0.0.1:9');
  });

  it('accepts a payload built exactly as the original heartbeat.py builds it from salt-api', async () => {
    // heartbeat.py: login, GET /minions (local grains.items), then per minion: false → stopped with
    // no ips, a dict → running with ip4_interfaces flattened minus the '127.0.0.1' substring test.
    const login = await fetch(`${saltUrl}/login`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-type': 'application/json', 'User-Agent': 'idcos cloudact2' },
      body: JSON.stringify({ username: USER, password: PASSWORD, eauth: 'pam' }),
    });
    const token = ((await login.json()) as { return: Array<{ token: string }> }).return[0]?.token ?? '';
    const res = await fetch(`${saltUrl}/minions`, { headers: { Accept: 'application/json', 'X-Auth-Token': token } });
    const grains = ((await res.json()) as { return: Array<Record<string, false | { ip4_interfaces: Record<string, string[]> }>> }).return[0] ?? {};
    const payloadMinions = Object.entries(grains).map(([id, value]) =>
      value === false
        ? { sn: id, status: 'stopped' }
        : { sn: id, ips: Object.values(value.ip4_interfaces).flat().filter((ip) => !'127.0.0.1'.includes(ip)), status: 'running' },
    );
    const payload = {
      master: { server: saltUrl, options: { username: USER, password: PASSWORD }, status: 'running', idc: 'e2e', type: 'salt', sn: 'ORIGINAL-PY-MASTER\n' },
      minions: payloadMinions,
    };

    const register = await fetch(`${server.url}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });

    expect(register.status).toBe(200);
    const master = await getMaster(server, 'ORIGINAL-PY-MASTER');
    expect(master.minions).toHaveLength(60);
    expect(JSON.stringify(master)).not.toContain(PASSWORD);
  });
});
