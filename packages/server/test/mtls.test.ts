/**
 * Mutual TLS with `--tls-client-cn-is-sn` on a real HTTPS act2-server: the client certificate
 * names the master, whatever Bearer credential comes with it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/start.js';
import { addToken } from './helpers/auth.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';
import { payload } from './helpers/payloads.js';

/** A CA, a server certificate for 127.0.0.1, and client certificates with CN `own` and `SOMEONE-ELSE`. */
function makePki(dir: string, own: string): boolean {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=act2-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    for (const [name, subject, ext] of [
      ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
      ['own', `/CN=${own}`, 'extendedKeyUsage=clientAuth'],
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

const SN = 'TLS-MASTER';
let dir: string;
let pki = false;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'act2-server-mtls-'));
  pki = makePki(dir, SN);
  if (!pki) {
    if (process.env.CI === 'true') throw new Error('openssl is needed for the mutual TLS tests');
    console.warn('openssl not available: mutual TLS tests SKIPPED');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEachDialect('mutual TLS with --tls-client-cn-is-sn and a Bearer credential', (dialect) => {
  let database: TestDatabase;
  let server: RunningServer;
  const agents: Agent[] = [];

  beforeAll(async () => {
    if (!pki) return;
    database = await createTestDatabase(dialect);
    server = await startServer(
      database.config({
        auth: 'tokens',
        tlsCert: join(dir, 'server.pem'),
        tlsKey: join(dir, 'server.key'),
        tlsClientCa: join(dir, 'ca.pem'),
        tlsClientCnIsSn: true,
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await server?.close();
    await database?.destroy();
  });

  /** POST /register for SN over TLS, presenting client certificate `client`, with `Authorization: Bearer credential`. */
  async function register(client: 'own' | 'other', credential: string) {
    const file = (name: string) => readFileSync(join(dir, name), 'utf8');
    const dispatcher = new Agent({ connect: { ca: file('ca.pem'), cert: file(`${client}.pem`), key: file(`${client}.key`) } });
    agents.push(dispatcher);
    const response = await request(`${server.url}/register`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
      body: JSON.stringify(payload(SN, [{ sn: 'tls-minion', status: 'running', ips: ['10.77.0.1'] }], { server: `http://${client}.example:8001` })),
    });
    return { status: response.statusCode, body: (await response.body.json()) as { code?: string; message?: string; master_key?: string } };
  }

  const everything = async () => ({
    masters: await database.db.selectFrom('masters').selectAll().execute(),
    memberships: await database.db.selectFrom('master_minions').selectAll().execute(),
    keys: await database.db.selectFrom('master_keys').selectAll().execute(),
    events: await database.db.selectFrom('events').selectAll().orderBy('id').execute(),
  });

  it('a register token, then the master key, with a certificate of another CN: 403 and nothing written; with its own CN both work', async (ctx) => {
    if (!pki) return ctx.skip();
    const token = await addToken(database.db, 'agents-tls', ['register']);
    const refused = { status: 403, body: { code: 'ACT2_FORBIDDEN', message: `The client certificate (CN SOMEONE-ELSE) does not name master ${SN}` } };

    // The token alone would enroll this new master: only the certificate's CN stands in the way.
    const tokenForged = await register('other', token);
    const afterTokenForged = await everything();
    const enrolled = await register('own', token);
    const key = enrolled.body.master_key as string;
    const before = await everything();
    // The key is this master's own: again only the certificate's CN stands in the way.
    const keyForged = await register('other', key);
    const afterKeyForged = await everything();
    const own = await register('own', key);

    expect(tokenForged).toEqual(refused);
    expect(afterTokenForged).toEqual({ masters: [], memberships: [], keys: [], events: [] });
    expect(enrolled.status).toBe(200);
    expect(key).toMatch(/^act2k_/);
    expect(keyForged).toEqual(refused);
    expect(afterKeyForged).toEqual(before);
    expect([own.status, own.body.master_key]).toEqual([200, undefined]);
  });
});
