/**
 * Credentials end to end: the real agent CLI (in-process) → the salt-api simulator → a real
 * act2-server with auth on, on SQLite and PostgreSQL. Enrollment, the stored key, a lost key,
 * an admin rebind, and mutual TLS with the certificate CN as the master sn.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSaltApiSim, generateMinions, type SaltApiSim } from '@act2/salt-api-sim';
import { runAdminCli, startServer, type RunningServer } from '@act2/server';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '@act2/server/testing';
import { runCliCaptured } from './helpers/run-cli.js';

const USER = 'salt-api';
const PASSWORD = 'auth-e2e-password';

async function admin(...args: string[]): Promise<string> {
  const out: string[] = [];
  const code = await runAdminCli(['node', 'act2-server', ...args], { writeOut: (s) => out.push(s), writeErr: () => undefined });
  if (code !== 0) throw new Error(`act2-server ${args.join(' ')} exited ${code}`);
  return out.join('').trim();
}

describeEachDialect('agent credentials against a real act2-server', (dialect) => {
  let database: TestDatabase;
  let server: RunningServer;
  let sim: SaltApiSim;
  let saltUrl: string;
  let dir: string;
  let tokenFile: string;
  let token: string;

  const agent = (sn: string, stateDir: string, extra: string[] = [], env: Record<string, string> = {}) =>
    runCliCaptured(
      ['--salt-server', saltUrl, '--act2-server', server.url, '--idc', 'sh-01', '--master-sn', sn, '--state-dir', stateDir, '--ping-timeout', '1s', '--gather-job-timeout', '1s', '--deadline', '3s', ...extra],
      { ACT2_SALT_PASSWORD: PASSWORD, ...env },
    );
  const byOf = async (sn: string) =>
    (await database.db.selectFrom('events').select(['kind', 'detail']).where('master_sn', '=', sn).where('kind', 'in', ['master.registered', 'master.stopped', 'master.timeout', 'master.recovered', 'master.rebind']).orderBy('id').execute()).map(
      (e) => [e.kind, (JSON.parse(e.detail ?? '{}') as { by?: string }).by],
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'act2-agent-auth-'));
    database = await createTestDatabase(dialect);
    token = await admin('token', 'create', '--name', 'agents-sh', '--scope', 'register', '--idc', 'sh-01', '--db', database.url);
    tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    server = await startServer(database.config({ auth: 'tokens' }));
    const minions = generateMinions({ count: 5, down: 1, seed: `auth-${dialect}`, prefix: 'auth-' });
    sim = createSaltApiSim({ minions, users: [{ name: USER, password: PASSWORD, eauth: 'pam', perms: ['.*', '@runner'] }], timeScale: 0.01 });
    saltUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await sim?.close();
    await server?.close();
    await database?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls with the token file, stores the key 0600, then registers with the key', async () => {
    const state = join(dir, 'state-1');

    const first = await agent('AUTH-1', state, ['--act2-token-file', tokenFile]);
    const stored = JSON.parse(readFileSync(join(state, 'master-key.json'), 'utf8')) as { sn: string; key: string };
    const second = await agent('AUTH-1', state, ['--act2-token-file', tokenFile]);

    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    expect(first.logs.find((l) => l.msg === 'register ok')?.enrolled).toBe(true);
    expect(second.logs.find((l) => l.msg === 'register ok')?.enrolled).toBe(false);
    expect(stored.sn).toBe('AUTH-1');
    expect(stored.key).toMatch(/^act2k_/);
    expect(statSync(join(state, 'master-key.json')).mode & 0o777).toBe(0o600);
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(await byOf('AUTH-1')).toEqual([['master.registered', 'token:agents-sh']]);
    // Neither the token nor the key ever reaches the agent's output.
    for (const run of [first, second]) {
      expect(run.text).not.toContain(token);
      expect(run.text).not.toContain(stored.key);
    }
  });

  it('takes the token from ACT2_TOKEN, and refuses a token flag on argv', async () => {
    const run = await agent('AUTH-2', join(dir, 'state-2'), [], { ACT2_TOKEN: token });
    const flag = await agent('AUTH-2', join(dir, 'state-2'), ['--act2-token', token]);

    expect(run.exitCode).toBe(0);
    expect(flag.exitCode).toBe(2);
    expect(flag.text).toContain("unknown option '--act2-token'");
  });

  it('a lost key file: exit 4 with a readable heartbeat failed line; after an admin rebind the token enrolls again', async () => {
    const state = join(dir, 'state-3');
    expect((await agent('AUTH-3', state, ['--act2-token-file', tokenFile])).exitCode).toBe(0);
    rmSync(join(state, 'master-key.json'));

    const lost = await agent('AUTH-3', state, ['--act2-token-file', tokenFile]);
    await admin('master', 'rebind', 'AUTH-3', '--db', database.url);
    const again = await agent('AUTH-3', state, ['--act2-token-file', tokenFile]);

    expect(lost.exitCode).toBe(4);
    const failed = lost.logs.find((l) => l.msg === 'heartbeat failed');
    expect(failed).toMatchObject({ code: 'ACT2_MASTER_KEY_LOST' });
    expect(failed?.reason).toBe(
      `master AUTH-3 is bound to its own key on act2-server, and this host has none (${join(state, 'master-key.json')}): ` +
        'if the master was reinstalled or the file lost, have an admin run "act2-server master rebind AUTH-3", then run again',
    );
    expect(again.exitCode).toBe(0);
    expect(again.logs.find((l) => l.msg === 'register ok')?.enrolled).toBe(true);
  });

  it('a rebind while the old key file is still there: the refused key makes the agent enroll again with the token', async () => {
    const state = join(dir, 'state-4');
    expect((await agent('AUTH-4', state, ['--act2-token-file', tokenFile])).exitCode).toBe(0);
    const oldKey = (JSON.parse(readFileSync(join(state, 'master-key.json'), 'utf8')) as { key: string }).key;
    await admin('master', 'rebind', 'AUTH-4', '--db', database.url);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the server's lookup cache

    const run = await agent('AUTH-4', state, ['--act2-token-file', tokenFile]);

    expect(run.exitCode).toBe(0);
    expect(run.logs.map((l) => l.msg)).toContain('act2-server refused the stored master key, enrolling again with the token');
    expect((JSON.parse(readFileSync(join(state, 'master-key.json'), 'utf8')) as { key: string }).key).not.toBe(oldKey);
  });

  it('without a token the agent says how to give one (exit 4)', async () => {
    const run = await agent('AUTH-5', join(dir, 'state-5'));

    expect(run.exitCode).toBe(4);
    expect(String(run.logs.find((l) => l.msg === 'heartbeat failed')?.reason)).toContain('give the API token in --act2-token-file or ACT2_TOKEN');
  });
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate with CN `cn`, made with openssl. */
function makePki(dir: string, cn: string): boolean {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=act2-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    for (const [name, subject, ext] of [
      ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
      ['client', `/CN=${cn}`, 'extendedKeyUsage=clientAuth'],
      ['other', '/CN=SOMEONE-ELSE', 'extendedKeyUsage=clientAuth'],
    ] as const) {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    }
    return true;
  } catch {
    return false;
  }
}

describe('mutual TLS: act2-server --tls-client-ca --tls-client-cn-is-sn', () => {
  let dir: string;
  let pki = false;
  let database: TestDatabase;
  let server: RunningServer;
  let sim: SaltApiSim;
  let saltUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'act2-mtls-'));
    pki = makePki(dir, 'CERT-MASTER');
    if (!pki) {
      if (process.env.CI === 'true') throw new Error('openssl is needed for the mutual TLS test');
      console.warn('openssl not available: mutual TLS test SKIPPED');
      return;
    }
    database = await createTestDatabase('sqlite');
    server = await startServer(
      database.config({
        auth: 'tokens',
        tlsCert: join(dir, 'server.pem'),
        tlsKey: join(dir, 'server.key'),
        tlsClientCa: join(dir, 'ca.pem'),
        tlsClientCnIsSn: true,
      }),
    );
    const minions = generateMinions({ count: 3, down: 0, seed: 'mtls', prefix: 'mtls-' });
    sim = createSaltApiSim({ minions, users: [{ name: USER, password: PASSWORD, eauth: 'pam', perms: ['.*', '@runner'] }], timeScale: 0.01 });
    saltUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await sim?.close();
    await server?.close();
    await database?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const agent = (sn: string, client: string | undefined) =>
    runCliCaptured(
      [
        '--salt-server', saltUrl, '--act2-server', server.url, '--idc', 'sh-01', '--master-sn', sn, '--state-dir', join(dir, 'state'),
        '--act2-ca-file', join(dir, 'ca.pem'), '--ping-timeout', '1s', '--gather-job-timeout', '1s', '--deadline', '2s',
        ...(client ? ['--act2-cert-file', join(dir, `${client}.pem`), '--act2-key-file', join(dir, `${client}.key`)] : []),
      ],
      { ACT2_SALT_PASSWORD: PASSWORD },
    );

  it('registers with a certificate whose CN is the sn; another CN gets 403; no certificate cannot connect', async (ctx) => {
    if (!pki) return ctx.skip();
    expect(server.url).toMatch(/^https:/);

    const own = await agent('CERT-MASTER', 'client');
    const other = await agent('CERT-MASTER', 'other');
    const none = await agent('CERT-MASTER', undefined);

    expect(own.exitCode).toBe(0);
    expect(other.exitCode).toBe(4);
    expect(String(other.logs.find((l) => l.msg === 'heartbeat failed')?.reason)).toContain('ACT2_FORBIDDEN');
    expect(none.exitCode).toBe(3);
    const events = await database.db.selectFrom('events').select('detail').where('master_sn', '=', 'CERT-MASTER').where('kind', '=', 'master.registered').execute();
    expect(events.map((e) => (JSON.parse(e.detail ?? '{}') as { by?: string }).by)).toEqual(['certificate:CERT-MASTER']);
  });
});
