/**
 * End to end for --srv-type puppet: the real agent CLI → the PuppetDB simulator (checked against
 * real PuppetDB captures) → a real act2-server on SQLite and PostgreSQL; PuppetDB down, refusing,
 * and over HTTPS with a client certificate.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPuppetDbSim, generateNodes, type PuppetDbSim, type SimNode } from '@act2/puppetdb-sim';
import { startServer, type RunningServer } from '@act2/server';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '@act2/server/testing';
import { MasterDetail } from '@act2/shared';
import { makePuppetSsl } from './helpers/puppet-ca.js';
import type { PuppetSsl } from './helpers/puppet-ca.js';
import { runCliCaptured } from './helpers/run-cli.js';
import { freePort } from './helpers/sshd.js';

/** What act2 should hold for a node, derived from the simulator's data independently of the agent. */
function expected(node: SimNode, nowMs: number, staleMs: number) {
  const active = node.deactivated === null && node.expired === null;
  const newest = Math.max(Date.parse(node.report_timestamp ?? '') || 0, Date.parse(node.facts_timestamp ?? '') || 0);
  const interfaces = ((node.facts.networking as { interfaces: Record<string, { bindings?: { address: string }[]; bindings6?: { address: string }[] }> }).interfaces);
  const ips = Object.entries(interfaces)
    .filter(([name]) => !['lo', 'docker0'].includes(name))
    .flatMap(([, i]) => [...(i.bindings ?? []), ...(i.bindings6 ?? [])].map((b) => b.address))
    .filter((ip) => !ip.startsWith('127.') && !ip.startsWith('fe80:') && ip !== '::1');
  return { status: active && newest > nowMs - staleMs ? 'running' : 'stopped', ips };
}

async function getMaster(server: RunningServer, sn: string): Promise<MasterDetail> {
  const res = await fetch(`${server.url}/api/v1/masters/${encodeURIComponent(sn)}`);
  expect(res.status).toBe(200);
  return MasterDetail.parse(await res.json());
}

describeEachDialect('agent → PuppetDB simulator → act2-server', (dialect) => {
  let database: TestDatabase;
  let server: RunningServer;
  let sim: PuppetDbSim;
  let pdbUrl: string;
  const nodes = generateNodes({ count: 120, staleEvery: 10, deactivatedEvery: 25, prefix: `pup-${dialect}-` });
  const agent = (sn: string, extra: string[] = []) =>
    runCliCaptured(['--srv-type', 'puppet', '--puppetdb-url', pdbUrl, '--advertise-server', 'https://puppet.example:8081', '--act2-server', server.url, '--idc', 'e2e', '--master-sn', sn, '--deadline', '5s', ...extra]);

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    server = await startServer(database.config());
    sim = createPuppetDbSim({ nodes });
    pdbUrl = await sim.listen();
  });
  afterAll(async () => {
    await sim?.close();
    await server?.close();
    await database?.destroy();
  });

  it('stores every PuppetDB node (deactivated ones too) with its status and IPs; no credentials', async () => {
    const run = await agent(`PUPPET-${dialect}`);
    expect(run.exitCode, run.text).toBe(0);
    const master = await getMaster(server, `PUPPET-${dialect}`);
    expect(master).toMatchObject({ status: 'running', type: 'puppet', server: 'https://puppet.example:8081', idc: 'e2e', minion_count: 120 });
    const now = Date.now();
    const stored = Object.fromEntries(master.minions.map((m) => [m.sn, { status: m.status, ips: [...m.ips].sort() }]));
    const held = Object.fromEntries(nodes.map((n) => { const e = expected(n, now, 3_600_000); return [n.certname, { status: e.status, ips: [...e.ips].sort() }]; }));
    expect(stored).toEqual(held);
    // Every 10th stale, every 25th deactivated, two of them both.
    expect(master.minions.filter((m) => m.status === 'stopped')).toHaveLength(12 + 4 - 2);
    expect(run.logs.find((l) => l.msg === 'config loaded')).toMatchObject({ srv_type: 'puppet', puppetdb_url: pdbUrl });
    // 120 nodes and 360 fact rows in pages of 1,000: one page each.
    expect(sim.requests()).toEqual(['/pdb/query/v4/nodes', '/pdb/query/v4/facts']);
  });

  it('uses a fact as minion sn with --puppet-sn-fact, and --puppet-stale as the limit', async () => {
    const before = Date.now();
    const run = await agent(`PUPPET-SN-${dialect}`, ['--puppet-sn-fact', 'dmi.product.serial_number', '--puppet-stale', '2m']);
    const after = Date.now();
    expect(run.exitCode).toBe(0);
    const master = await getMaster(server, `PUPPET-SN-${dialect}`);
    expect(master.minions.map((m) => m.sn).sort()).toEqual(nodes.map((n) => (n.facts.dmi as { product: { serial_number: string } }).product.serial_number).sort());
    // Nodes were heard from 60 s + i s ago: with 2 min, those from i = 60 on are stale too.
    const running = master.minions.filter((m) => m.status === 'running').length;
    const expectedAt = (now: number) => nodes.filter((n) => expected(n, now, 120_000).status === 'running').length;
    expect(running).toBeLessThanOrEqual(expectedAt(before));
    expect(running).toBeGreaterThanOrEqual(expectedAt(after));
    expect(running).toBeLessThan(60);
  });

  it('reports the master stopped with the reason, keeping its nodes, when PuppetDB is down', async () => {
    const down = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
    const run = await runCliCaptured(['--srv-type', 'puppet', '--puppetdb-url', down, '--advertise-server', 'https://puppet.example:8081', '--act2-server', server.url, '--idc', 'e2e', '--master-sn', `PUPPET-${dialect}`, '--deadline', '5s']);
    expect(run.exitCode).toBe(5);
    expect(run.logs.find((l) => l.msg === 'puppetdb unavailable')).toMatchObject({ code: 'ACT2_PUPPETDB_UNREACHABLE', reason: `cannot query PuppetDB at ${down}: connection refused` });
    const master = await getMaster(server, `PUPPET-${dialect}`);
    expect(master).toMatchObject({ status: 'stopped', minion_count: 120 });
  });
});

describe('--srv-type puppet failures and HTTPS', () => {
  let ssl: PuppetSsl;
  let sim: PuppetDbSim;
  let url: string;
  beforeAll(async () => {
    ssl = makePuppetSsl();
    sim = createPuppetDbSim({ nodes: generateNodes({ count: 3 }), tls: ssl.server });
    url = await sim.listen();
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(ssl.dir, { recursive: true, force: true });
  });

  it("reads PuppetDB's HTTPS port with the host's Puppet certificate, key and CA", async () => {
    const run = await runCliCaptured(['--srv-type', 'puppet', '--puppetdb-url', url, '--puppetdb-cert', ssl.certFile, '--puppetdb-key', ssl.keyFile, '--puppetdb-ca', ssl.caFile, '--advertise-server', 'https://puppet.example:8081', '--dry-run']);
    expect(run.exitCode, run.text).toBe(0);
    expect(run.logs.find((l) => l.msg === 'payload built')).toMatchObject({ master_status: 'running', minions: 3 });
  });

  it('is stopped (exit 5) without a client certificate, and without the CA', async () => {
    const noCert = await runCliCaptured(['--srv-type', 'puppet', '--puppetdb-url', url, '--puppetdb-ca', ssl.caFile, '--advertise-server', 'https://puppet.example:8081', '--dry-run']);
    expect(noCert.exitCode).toBe(5);
    expect(noCert.logs.find((l) => l.msg === 'puppetdb unavailable')).toMatchObject({ code: expect.stringMatching(/^ACT2_PUPPETDB_(TLS|UNREACHABLE)$/) });
    const noCa = await runCliCaptured(['--srv-type', 'puppet', '--puppetdb-url', url, '--puppetdb-cert', ssl.certFile, '--puppetdb-key', ssl.keyFile, '--advertise-server', 'https://puppet.example:8081', '--dry-run']);
    expect(noCa.exitCode).toBe(5);
    expect(noCa.logs.find((l) => l.msg === 'puppetdb unavailable')).toMatchObject({ code: 'ACT2_PUPPETDB_TLS' });
  });

  it('is stopped with the HTTP status when --puppetdb-url is not the PuppetDB root (302 to the dashboard)', async () => {
    const plain = createPuppetDbSim({ nodes: [] });
    const base = await plain.listen();
    try {
      const run = await runCliCaptured(['--srv-type', 'puppet', '--puppetdb-url', `${base}/pdb`, '--advertise-server', 'https://puppet.example:8081', '--dry-run']);
      expect(run.exitCode).toBe(5);
      expect(run.logs.find((l) => l.msg === 'puppetdb unavailable')).toMatchObject({ code: 'ACT2_PUPPETDB_HTTP', reason: 'PuppetDB nodes query answered HTTP 302: a redirect (is --puppetdb-url the PuppetDB root URL?)' });
    } finally {
      await plain.close();
    }
  });
});
