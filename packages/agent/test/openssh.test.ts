/**
 * End to end for --srv-type openssh: the real agent CLI probes a real Debian sshd on loopback
 * addresses (plus a port that is down, one that answers but is not SSH, one that never answers,
 * and a roster entry that does not resolve), then registers into a real act2-server on SQLite and
 * PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@act2/server';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '@act2/server/testing';
import { EventList, MasterDetail } from '@act2/shared';
import { runCliCaptured } from './helpers/run-cli.js';
import { freePort, runSshd, startSshd } from './helpers/sshd.js';
import type { RealSshd } from './helpers/sshd.js';

const suite = runSshd ? describe : describe.skip;

function listen(host: string, onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      onConnection(socket);
    });
    server.on('close', () => sockets.forEach((s) => s.destroy()));
    server.listen(0, host, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

suite('--srv-type openssh against a real sshd', () => {
  let sshd: RealSshd;
  let dir: string;
  let roster: string;
  const extra: Server[] = [];

  beforeAll(async () => {
    sshd = await startSshd(['127.0.0.2', '127.0.0.3', '127.0.0.1']);
    const [a, b, local] = sshd.endpoints as [{ host: string; port: number }, { host: string; port: number }, { host: string; port: number }];
    const http = await listen('127.0.0.4', (socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    const silent = await listen('127.0.0.6', () => undefined);
    extra.push(http.server, silent.server);
    const down = await freePort('127.0.0.5');
    dir = mkdtempSync(join(tmpdir(), 'act2-roster-'));
    roster = join(dir, 'roster');
    writeFileSync(
      roster,
      [
        '# salt-ssh roster',
        `web-01:\n  host: ${a.host}\n  port: ${a.port}\n  user: deploy\n  passwd: not-sent-anywhere\n  sudo: True`,
        `web-02:\n  host: ${b.host}\n  port: ${b.port}\n  user: deploy\n  priv: /etc/salt/pki/master/ssh/salt-ssh.rsa`,
        `by-name:\n  host: localhost\n  port: ${local.port}\n  user: deploy`,
        `down-01:\n  host: 127.0.0.5\n  port: ${down}\n  user: deploy`,
        `not-ssh:\n  host: 127.0.0.4\n  port: ${http.port}\n  user: deploy`,
        `silent:\n  host: 127.0.0.6\n  port: ${silent.port}\n  user: deploy`,
        `gone:\n  host: gone.act2-test.invalid\n  user: deploy`,
        '',
      ].join('\n'),
    );
  }, 30_000);

  afterAll(async () => {
    await sshd?.stop();
    await Promise.all(extra.map((s) => new Promise((r) => s.close(r))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run: running for the sshd hosts, stopped with the reason for every other kind of failure', async () => {
    const run = await runCliCaptured(['--srv-type', 'openssh', '--roster', roster, '--advertise-server', 'http://ssh-proxy.example:8080', '--probe-timeout', '1s', '--dry-run', '--master-sn', 'PROXY-1', '--log-level', 'debug']);
    expect(run.exitCode, run.text).toBe(0);
    const payload = JSON.parse(run.text.split('\n').find((l) => l.startsWith('{"master"')) ?? '{}') as { master: Record<string, unknown>; minions: Array<{ sn: string; status: string; ips: string[] }> };
    expect(payload.master).toEqual({ sn: 'PROXY-1', server: 'http://ssh-proxy.example:8080', status: 'running', idc: '', type: 'openssh', options: { username: 'deploy', password: '[redacted]' } });
    expect(Object.fromEntries(payload.minions.map((m) => [m.sn, [m.status, m.ips]]))).toEqual({
      'by-name': ['running', []],
      'down-01': ['stopped', ['127.0.0.5']],
      gone: ['stopped', []],
      'not-ssh': ['stopped', ['127.0.0.4']],
      silent: ['stopped', ['127.0.0.6']],
      'web-01': ['running', ['127.0.0.2']],
      'web-02': ['running', ['127.0.0.3']],
    });
    const reasons = Object.fromEntries(run.logs.filter((l) => l.msg === 'ssh probe failed').map((l) => [l.id, l.reason]));
    expect(reasons).toEqual({
      'down-01': 'connection refused',
      'not-ssh': 'answered, but not with an SSH identification line',
      silent: 'no SSH identification within 1s',
      gone: 'host name not found',
    });
    expect(run.logs.find((l) => l.msg === 'ssh probes done')).toMatchObject({ hosts: 7, up: 3, down: 4 });
    expect(run.text).not.toContain('not-sent-anywhere');
  });

  it('reports the master stopped (exit 5) when the roster cannot be read', async () => {
    const run = await runCliCaptured(['--srv-type', 'openssh', '--roster', join(dir, 'missing'), '--advertise-server', 'http://ssh-proxy.example:8080', '--dry-run']);
    expect(run.exitCode).toBe(5);
    expect(run.logs.find((l) => l.msg === 'roster unavailable')).toMatchObject({ code: 'ACT2_ROSTER_UNREADABLE', reason: `cannot read roster ${join(dir, 'missing')} (ENOENT)` });
  });

  describeEachDialect('into act2-server', (dialect) => {
    let database: TestDatabase;
    let server: RunningServer;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer(database.config());
    });
    afterAll(async () => {
      await server?.close();
      await database?.destroy();
    });

    it("stores every roster host with its status, and answers a lookup by a host's IP", async () => {
      const args = ['--srv-type', 'openssh', '--roster', roster, '--advertise-server', 'http://ssh-proxy.example:8080', '--probe-timeout', '1s', '--act2-server', server.url, '--idc', 'e2e', '--master-sn', `PROXY-${dialect}`, '--deadline', '5s'];
      const first = await runCliCaptured(args);
      expect(first.exitCode, first.text).toBe(0);
      const res = await fetch(`${server.url}/api/v1/masters/PROXY-${dialect}`);
      const master = MasterDetail.parse(await res.json());
      expect(master).toMatchObject({ status: 'running', type: 'openssh', server: 'http://ssh-proxy.example:8080', idc: 'e2e', minion_count: 7 });
      expect(Object.fromEntries(master.minions.map((m) => [m.sn, m.status]))).toEqual({
        'by-name': 'running', 'down-01': 'stopped', gone: 'stopped', 'not-ssh': 'stopped', silent: 'stopped', 'web-01': 'running', 'web-02': 'running',
      });
      const lookup = await fetch(`${server.url}/api/v1/lookup?ip=127.0.0.2`);
      expect(lookup.status).toBe(200);
      expect(JSON.stringify(await lookup.json())).toContain('web-01');
    });

    it('takes a host whose sshd stops as stopped on the next run, recorded as an event', async () => {
      const own = await startSshd(['127.0.0.7']);
      const { port } = own.endpoints[0] ?? { port: 0 };
      const flappy = join(dir, `roster-${dialect}`);
      writeFileSync(flappy, `flappy:\n  host: 127.0.0.7\n  port: ${port}\nsteady:\n  host: ${sshd.endpoints[0]?.host}\n  port: ${sshd.endpoints[0]?.port}\n`);
      const sn = `PROXY-FLAP-${dialect}`;
      const args = ['--srv-type', 'openssh', '--roster', flappy, '--advertise-server', 'http://ssh-proxy.example:8080', '--probe-timeout', '1s', '--act2-server', server.url, '--idc', 'e2e', '--master-sn', sn, '--deadline', '5s'];
      const statuses = async () => Object.fromEntries(MasterDetail.parse(await (await fetch(`${server.url}/api/v1/masters/${sn}`)).json()).minions.map((m) => [m.sn, m.status]));
      try {
        expect((await runCliCaptured(args)).exitCode).toBe(0);
        expect(await statuses()).toEqual({ flappy: 'running', steady: 'running' });
      } finally {
        await own.stop();
      }
      expect((await runCliCaptured(args)).exitCode).toBe(0);
      expect(await statuses()).toEqual({ flappy: 'stopped', steady: 'running' });
      const events = EventList.parse(await (await fetch(`${server.url}/api/v1/events?master=${sn}&kind=minion.status`)).json());
      expect(events.items.map((e) => [e.kind, e.minion_sn])).toEqual([['minion.status', 'flappy']]);
    });
  });
});
