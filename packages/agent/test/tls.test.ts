import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../src/config.js';
import { runHeartbeat } from '../src/heartbeat.js';
import { registered } from './helpers/act2-replies.js';
import { capture } from './helpers/captures.js';
import { testConfig } from './helpers/config.js';
import { captureLogs } from './helpers/logs.js';
import { startReplayServer } from './helpers/replay-server.js';
import type { Expectation, ReplayServer } from './helpers/replay-server.js';

/** salt-api's usual certificate: self-signed, CN=localhost (salt-call tls.create_self_signed_cert). */
function selfSignedCert(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'act2-agent-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SALT_UP: Expectation[] = [
  { method: 'POST', path: '/login', reply: capture('60') },
  { method: 'POST', path: '/', reply: capture('61') },
  { method: 'POST', path: '/', reply: capture('14') },
];
let tls: { key: string; cert: string } | undefined;
const servers: ReplayServer[] = [];

beforeAll(() => {
  tls = selfSignedCert();
  if (!tls) console.warn('openssl not available: TLS tests skipped');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function https(expectations: Expectation[]): Promise<ReplayServer> {
  const server = await startReplayServer(expectations, { tls: tls ?? { key: '', cert: '' } });
  servers.push(server);
  return server;
}

async function run(config: AgentConfig) {
  return runHeartbeat(config, { log: captureLogs().log, hostname: () => 'm' });
}

describe('TLS to both ends', () => {
  it('talks to a self-signed salt-api with --salt-insecure and to act2-server trusting --act2-ca-file', async (ctx) => {
    if (!tls) return ctx.skip();
    const salt = await https(SALT_UP);
    const act2 = await https([{ method: 'POST', path: '/register', reply: registered() }]);
    const result = await run(testConfig({ salt: { server: salt.url, tls: { insecure: true } }, act2Server: act2.url, act2Tls: { ca: tls.cert, insecure: false } }));
    expect(result.exitCode).toBe(0);
    salt.assertDone();
    act2.assertDone();
  });

  it('refuses an untrusted salt-api certificate with a hint, and trusts it given --salt-ca-file', async (ctx) => {
    if (!tls) return ctx.skip();
    const salt = await https(SALT_UP);
    const refused = await run(testConfig({ salt: { server: salt.url }, dryRun: true }));
    expect(refused).toMatchObject({ exitCode: 5, error: { code: 'ACT2_SALT_TLS' } });
    expect(refused.error?.message).toMatch(/^TLS error DEPTH_ZERO_SELF_SIGNED_CERT: .* \(use --salt-ca-file, or --salt-insecure for its self-signed certificate\)$/);
    const trusted = await run(testConfig({ salt: { server: salt.url, tls: { ca: tls.cert, insecure: false } }, dryRun: true }));
    expect(trusted.exitCode).toBe(0);
    salt.assertDone();
  });

  it('explains plain http:// sent to an https port (capture 63)', async (ctx) => {
    if (!tls) return ctx.skip();
    const salt = await https([]);
    const result = await run(testConfig({ salt: { server: salt.url.replace('https:', 'http:') }, dryRun: true }));
    expect(result.error?.message).toBe(`cannot reach salt-api at ${salt.url.replace('https:', 'http:')}: connection closed before an HTTP answer (plain http:// to an https port?)`);
  });
});
