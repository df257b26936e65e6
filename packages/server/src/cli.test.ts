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
