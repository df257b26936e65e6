/**
 * End to end against a REAL PuppetDB (Debian's puppetdb 7.12 on the machine's PostgreSQL, its own
 * database and a 3-connection pool): seeded through its command API, read by the real agent CLI,
 * registered into a real act2-server on SQLite and PostgreSQL. Runs when puppetdb is installed,
 * and always with CI=true (.ci/run installs it).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_NODES, deactivateCommand, factsCommand, puppetDbInstalled, reportCommand, startRealPuppetDb, type RealPuppetDb } from '@act2/puppetdb-sim';
import { startServer, type RunningServer } from '@act2/server';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '@act2/server/testing';
import { MasterDetail } from '@act2/shared';
import { runCliCaptured } from './helpers/run-cli.js';

const run = puppetDbInstalled() || process.env.CI === 'true';
if (!run) console.warn('[act2-heartbeat tests] Debian puppetdb is not installed (apt-get install puppetdb): real-PuppetDB tests are SKIPPED');
const suite = run ? describe : describe.skip;

suite('agent → real PuppetDB 7.12 → act2-server', () => {
  let pdb: RealPuppetDb;
  let seededAt = 0;

  beforeAll(async () => {
    pdb = await startRealPuppetDb({ poolSize: 3 });
    const now = Date.now();
    for (const node of SEED_NODES) {
      await pdb.command('replace_facts', 5, node.certname, factsCommand(node, now));
      if (node.reportAgeS !== undefined) await pdb.command('store_report', 8, node.certname, reportCommand(node, now, randomUUID));
    }
    for (const node of SEED_NODES) if (node.deactivate) await pdb.command('deactivate_node', 3, node.certname, deactivateCommand(node.certname, Date.now()));
    seededAt = Date.now();
  }, 300_000);
  afterAll(async () => pdb?.stop(), 60_000);

  describeEachDialect('into act2-server', (dialect) => {
    let database: TestDatabase;
    let server: RunningServer;
    const agent = (sn: string, extra: string[] = []) =>
      runCliCaptured(['--srv-type', 'puppet', '--puppetdb-url', pdb.url, '--advertise-server', 'https://puppet.example:8081', '--act2-server', server.url, '--idc', 'e2e', '--master-sn', sn, '--deadline', '10s', ...extra]);
    const master = async (sn: string) => MasterDetail.parse(await (await fetch(`${server.url}/api/v1/masters/${sn}`)).json());

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer(database.config());
    });
    afterAll(async () => {
      await server?.close();
      await database?.destroy();
    });

    it('registers every node PuppetDB holds: deactivated ones stopped, IPs from the networking fact', async () => {
      const result = await agent(`REAL-PUPPET-${dialect}`);
      expect(result.exitCode, result.text).toBe(0);
      const stored = await master(`REAL-PUPPET-${dialect}`);
      expect(stored).toMatchObject({ status: 'running', type: 'puppet', server: 'https://puppet.example:8081', minion_count: 5 });
      expect(Object.fromEntries(stored.minions.map((m) => [m.sn, [m.status, [...m.ips].sort()]]))).toEqual({
        'web-01.example.com': ['running', ['10.0.0.11', '2001:db8::11']],
        // Its last report is 2 h old, but its facts are fresh.
        'web-02.example.com': ['running', ['10.0.0.12']],
        'db-01.example.com': ['running', ['10.0.1.21', '192.168.10.21']],
        'old-01.example.com': ['stopped', ['10.0.9.9']],
        // Facter 2 facts: no networking fact, so no IPs.
        'legacy-01.example.com': ['running', []],
      });
    });

    it('marks nodes not heard from within --puppet-stale stopped, and a node that just sent facts running', async () => {
      await new Promise((r) => setTimeout(r, Math.max(0, seededAt + 4000 - Date.now())));
      const web01 = SEED_NODES.find((n) => n.certname === 'web-01.example.com');
      if (!web01) throw new Error('seed lacks web-01');
      await pdb.command('replace_facts', 5, web01.certname, factsCommand(web01, Date.now()));
      const result = await agent(`REAL-PUPPET-STALE-${dialect}`, ['--puppet-stale', '3s']);
      expect(result.exitCode, result.text).toBe(0);
      const stored = await master(`REAL-PUPPET-STALE-${dialect}`);
      expect(Object.fromEntries(stored.minions.map((m) => [m.sn, m.status]))).toEqual({
        'web-01.example.com': 'running',
        'web-02.example.com': 'stopped',
        'db-01.example.com': 'stopped',
        'old-01.example.com': 'stopped',
        'legacy-01.example.com': 'stopped',
      });
    });
  });
});
