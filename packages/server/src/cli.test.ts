import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from './cli.js';

const run = (...args: string[]) => {
  const out: string[] = [];
  const result = parseCli(['node', 'act2-server', ...args], { writeOut: (t) => out.push(t), writeErr: (t) => out.push(t) });
  return { result, output: out.join('') };
};

describe('act2-server command line', () => {
  it('turns flags into a config', () => {
    const { result } = run('--port', '7000', '--db', 'postgres://db/act2', '--master-timeout', '3h', '--secret-key-file', '/etc/act2/key');

    expect(result.kind === 'run' && [result.config.port, result.config.db, result.config.masterTimeoutMs, result.config.secretKeyFile]).toEqual([
      7000,
      'postgres://db/act2',
      10_800_000,
      '/etc/act2/key',
    ]);
  });

  it('reads the operator flags: webhooks repeated and from a file, purge, retention, metrics CIDRs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'act2-cli-'));
    const file = join(dir, 'hooks');
    writeFileSync(file, '# on-call\nhttps://hooks.example/b\n\nhttps://hooks.example/a # duplicate of the flag\n');
    try {
      const { result } = run(
        ...['--webhook', 'https://hooks.example/a', '--webhook', 'http://10.0.0.9:8080/act2', '--webhook-file', file],
        ...['--webhook-secret-file', '/etc/act2/webhook.secret', '--webhook-retry-for', '12h'],
        ...['--purge-after', '0', '--events-retention', '30d', '--metrics-allow', '10.0.0.0/8, ::1'],
      );
      expect(result.kind === 'run' && result.config).toMatchObject({
        webhooks: ['https://hooks.example/a', 'http://10.0.0.9:8080/act2', 'https://hooks.example/b'],
        webhookSecretFile: '/etc/act2/webhook.secret',
        webhookRetryForMs: 12 * 3_600_000,
        purgeAfterMs: 0,
        eventsRetentionMs: 30 * 86_400_000,
        metricsAllow: ['10.0.0.0/8', '::1'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults to purging after 30 days and keeping events 90 days, and refuses unsigned webhooks and bad CIDRs', () => {
    const defaults = run().result;
    const { result } = run('--webhook', 'ftp://x', '--metrics-allow', '10.0.0.0/33', '--purge-after', '1h');

    expect(defaults.kind === 'run' && [defaults.config.purgeAfterMs, defaults.config.eventsRetentionMs, defaults.config.webhookRetryForMs]).toEqual([
      30 * 86_400_000,
      90 * 86_400_000,
      86_400_000,
    ]);
    expect(result.kind === 'invalid' && result.errors).toEqual([
      '--metrics-allow must be comma-separated IP addresses or CIDRs (cannot read "10.0.0.0/33")',
      '--purge-after (1h) must be longer than --master-timeout (2h), or 0 for never',
      '--webhook must be an http:// or https:// URL (got "ftp://x")',
      '--webhook needs --webhook-secret-file: deliveries are always signed',
    ]);
  });

  it('refuses --master-timeout not longer than --heartbeat-interval', () => {
    const { result } = run('--master-timeout', '20m', '--heartbeat-interval', '30m');

    expect(result).toEqual({
      kind: 'invalid',
      errors: ['--master-timeout (20m) must be longer than --heartbeat-interval (30m), or every master would time out between heartbeats'],
    });
  });

  it('refuses a --db scheme it has no dialect for (exit 2), naming the accepted ones', () => {
    const { result } = run('--db', 'mssql://sa@db/act2');

    expect(result).toEqual({
      kind: 'invalid',
      errors: ['--db: unknown scheme "mssql:" (accepted: sqlite:PATH, postgres://…, postgresql://…, mysql://…, mariadb://… or a file path)'],
    });
  });

  it('prints help listing every flag and exits 0', () => {
    const { result, output } = run('--help');

    expect(result).toEqual({ kind: 'exit', code: 0 });
    for (const flag of ['--port', '--host', '--db', '--master-timeout', '--check-interval', '--heartbeat-interval', '--body-limit', '--secret-key', '--secret-key-file', '--instance-id', '--log-level']) {
      expect(output).toContain(flag);
    }
    expect(output).toContain('ACT2_MASTER_TIMEOUT');
  });

  it('reads ACT2_* environment variables, flags winning over them', () => {
    process.env.ACT2_MASTER_TIMEOUT = '3h';
    process.env.ACT2_PORT = '7001';
    try {
      const { result } = run('--port', '7002');

      expect(result.kind === 'run' && [result.config.masterTimeoutMs, result.config.port]).toEqual([10_800_000, 7002]);
    } finally {
      delete process.env.ACT2_MASTER_TIMEOUT;
      delete process.env.ACT2_PORT;
    }
  });

  it('tells whether the secret key came from argv (visible in ps) or from the environment', () => {
    const key = 'b2'.repeat(32);
    const onArgv = run('--secret-key', key).result;
    process.env.ACT2_SECRET_KEY = key;
    try {
      const fromEnv = run().result;

      expect([onArgv.kind === 'run' && onArgv.secretKeyOnArgv, fromEnv.kind === 'run' && fromEnv.secretKeyOnArgv]).toEqual([true, false]);
    } finally {
      delete process.env.ACT2_SECRET_KEY;
    }
  });

  it('exits 2 on an unknown flag', () => {
    expect(run('--nope').result).toEqual({ kind: 'exit', code: 2 });
  });

  it('reads the auth and TLS flags, booleans from the environment included', () => {
    process.env.ACT2_ALLOW_ANONYMOUS_REGISTER = 'yes';
    try {
      const { result } = run('--auth', 'none', '--auth-cache', '2s', '--auth-failure-limit', '5', '--tls-cert', '/c.pem', '--tls-key', '/k.pem', '--tls-client-ca', '/ca.pem', '--tls-client-cn-is-sn');

      expect(result.kind === 'run' && result.config).toMatchObject({
        auth: 'none',
        allowAnonymousRegister: true,
        authCacheMs: 2000,
        authFailureLimit: 5,
        tlsCert: '/c.pem',
        tlsKey: '/k.pem',
        tlsClientCa: '/ca.pem',
        tlsClientCnIsSn: true,
      });
    } finally {
      delete process.env.ACT2_ALLOW_ANONYMOUS_REGISTER;
    }
  });

  it('refuses TLS flags that cannot work together, an auth cache over 10 s, and a bad boolean', () => {
    const { result } = run('--tls-cert', '/c.pem', '--tls-client-cn-is-sn', '--auth-cache', '1m', '--allow-anonymous-register', 'maybe');

    expect(result).toEqual({
      kind: 'invalid',
      errors: [
        '--allow-anonymous-register: "maybe" is not a boolean (1/true/yes/on or 0/false/no/off)',
        '--auth-cache must be between 0 and 10s: it bounds how long a revoked token keeps working',
        'give --tls-cert and --tls-key together',
        '--tls-client-cn-is-sn needs --tls-client-ca',
      ],
    });
    expect(run('--auth', 'off').result).toEqual({ kind: 'exit', code: 2 });
  });
});
