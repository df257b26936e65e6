import { describe, expect, it } from 'vitest';
import { type ConfigError, describeDb, loadServerConfig, parseByteSize, parseDbTarget, serverConfig } from './config.js';

describe('loadServerConfig', () => {
  it('applies the documented defaults', () => {
    const result = loadServerConfig({});

    expect(result.ok && { ...result.config, instanceId: 'x' }).toEqual({
      db: './data/act2.sqlite',
      port: 6868,
      host: '0.0.0.0',
      masterTimeoutMs: 7_200_000,
      checkIntervalMs: 60_000,
      heartbeatIntervalMs: 1_800_000,
      bodyLimitBytes: 16 * 1024 * 1024,
      maxMinions: 200_000,
      instanceId: 'x',
      logLevel: 'info',
      dbPoolSize: 10,
      dbStatementTimeoutMs: 60_000,
      dbLockTimeoutMs: 30_000,
      shutdownTimeoutMs: 30_000,
      sqliteMmapBytes: 256 * 1024 * 1024,
      trustProxy: false,
      auth: 'tokens',
      allowAnonymousRegister: false,
      authCacheMs: 1_000,
      authFailureLimit: 20,
      tlsClientCnIsSn: false,
      jobFunctions: ['*'],
      jobOutputLimitBytes: 1024 * 1024,
      jobPollIntervalMs: 2_000,
      jobLeaseMs: 60_000,
      jobSaltTimeoutMs: 30_000,
      jobSaltEauth: 'pam',
      metricsAllow: [],
      purgeAfterMs: 30 * 86_400_000,
      eventsRetentionMs: 90 * 86_400_000,
      webhooks: [],
      webhookRetryForMs: 86_400_000,
    });
  });

  it('reads --max-minions and refuses zero or junk', () => {
    expect([loadServerConfig({ maxMinions: '5000' })].map((r) => r.ok && r.config.maxMinions)).toEqual([5000]);
    const bad = [loadServerConfig({ maxMinions: '0' }), loadServerConfig({ maxMinions: 'lots' })];
    expect(bad.map((r) => !r.ok && r.errors)).toEqual([
      ['--max-minions must be a positive whole number (got 0)'],
      ['--max-minions: "lots" is not a whole number'],
    ]);
  });

  it('reads the job flags and reports every bad one at once', () => {
    const good = loadServerConfig({ jobFunctions: 'test.*, cmd.run', jobOutputLimit: '64k', jobPollInterval: '500ms', jobLease: '10s', jobSaltTimeout: '20s', jobSaltEauth: 'file' });
    const bad = loadServerConfig({ jobFunctions: 'cmd.run;rm', jobOutputLimit: '10', jobPollInterval: '5s', jobLease: '10s' });

    expect(good.ok && [good.config.jobFunctions, good.config.jobOutputLimitBytes, good.config.jobPollIntervalMs, good.config.jobLeaseMs, good.config.jobSaltTimeoutMs, good.config.jobSaltEauth]).toEqual([
      ['test.*', 'cmd.run'],
      65_536,
      500,
      10_000,
      20_000,
      'file',
    ]);
    expect(!bad.ok && bad.errors).toEqual([
      '--job-output-limit must be at least 1024 bytes (got 10)',
      '--job-functions must be a comma-separated list of salt function globs (cmd.run, test.*, *)',
      '--job-lease (10s) must be at least 3 × --job-poll-interval (5s)',
    ]);
  });

  it('reads the database and shutdown timeouts', () => {
    const result = loadServerConfig({ dbStatementTimeout: '2m', dbLockTimeout: '5s', shutdownTimeout: '10s' });

    expect(result.ok && [result.config.dbStatementTimeoutMs, result.config.dbLockTimeoutMs, result.config.shutdownTimeoutMs]).toEqual([
      120_000, 5_000, 10_000,
    ]);
  });

  it('reads --sqlite-mmap as a size, 0 turning it off, and refuses anything else', () => {
    const sizes = ['64mb', '0', '1048576'].map((sqliteMmap) => loadServerConfig({ sqliteMmap }));
    expect(sizes.map((r) => r.ok && r.config.sqliteMmapBytes)).toEqual([64 * 1024 * 1024, 0, 1_048_576]);
    const bad = loadServerConfig({ sqliteMmap: 'lots' });
    expect(!bad.ok && bad.errors).toEqual(['--sqlite-mmap: cannot read "lots" as a size (e.g. 256mb, 0 to turn it off)']);
  });

  it('reads --trust-proxy as true, false or a list of proxy addresses, and refuses anything else', () => {
    const values = ['true', 'false', '10.0.0.1, 10.1.0.0/16,fd00::/8', 'loopback'].map((trustProxy) => loadServerConfig({ trustProxy }));
    const bad = loadServerConfig({ trustProxy: '10.0.0.1,nginx' });

    expect(values.map((r) => r.ok && r.config.trustProxy)).toEqual([true, false, ['10.0.0.1', '10.1.0.0/16', 'fd00::/8'], ['loopback']]);
    expect(!bad.ok && bad.errors).toEqual(['--trust-proxy must be true, false or a comma-separated list of IP addresses or CIDRs (cannot read "nginx")']);
  });

  it('reads human durations and sizes', () => {
    const result = loadServerConfig({ masterTimeout: '90m', checkInterval: '15s', heartbeatInterval: '600', bodyLimit: '2mb', port: '0' });

    expect(result.ok && [result.config.masterTimeoutMs, result.config.checkIntervalMs, result.config.heartbeatIntervalMs, result.config.bodyLimitBytes, result.config.port]).toEqual([
      5_400_000, 15_000, 600_000, 2 * 1024 * 1024, 0,
    ]);
  });

  it('refuses a timeout that is not longer than the heartbeat interval, naming both values', () => {
    const result = loadServerConfig({ masterTimeout: '30m', heartbeatInterval: '30m' });

    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      '--master-timeout (30m) must be longer than --heartbeat-interval (30m), or every master would time out between heartbeats',
    ]);
  });

  it('reports every problem at once', () => {
    const result = loadServerConfig({ port: 'http', masterTimeout: 'soon', bodyLimit: '12 parsecs', logLevel: 'loud' });

    expect(!result.ok && result.errors.map((e) => e.split(/[: ]/)[0])).toEqual(['--port', '--master-timeout', '--body-limit', '--log-level']);
  });

  it('refuses timer durations a Node timer cannot hold, and durations past a safe integer', () => {
    const result = loadServerConfig({ checkInterval: '30d', shutdownTimeout: '25d', masterTimeout: '99999999999999d' });

    expect(!result.ok && result.errors).toEqual([
      '--master-timeout is too long',
      '--check-interval (30d) must be at most 24 days (2147483647 ms)',
      '--shutdown-timeout (25d) must be at most 24 days (2147483647 ms)',
    ]);
    expect(() => serverConfig({ checkIntervalMs: 2 ** 31 })).toThrow(/--check-interval \(2147483648ms\) must be at most 24 days/);
  });

  it('serverConfig throws on an invalid combination', () => {
    expect(() => serverConfig({ masterTimeoutMs: 1000, heartbeatIntervalMs: 2000 })).toThrow(/--master-timeout \(1s\)/);
  });
});

describe('--db', () => {
  it('refuses an unknown scheme, naming every scheme it accepts, instead of opening a SQLite file by that name', () => {
    const errors = (db: string) => {
      try {
        serverConfig({ db });
        return [];
      } catch (err) {
        return (err as ConfigError).errors;
      }
    };

    expect(errors('postgress://db/act2')).toEqual([
      '--db: unknown scheme "postgress:" (accepted: sqlite:PATH, postgres://…, postgresql://…, mysql://…, mariadb://… or a file path)',
    ]);
    expect(errors('redis://127.0.0.1:6379')[0]).toMatch(/^--db: unknown scheme "redis:"/);
    expect(errors('mysql://root@127.0.0.1:3306')).toEqual([
      '--db: the mysql:// URL must name a database (mysql://user:password@host:3306/act2)',
    ]);
    expect(errors('mysql://root@127.0.0.1:3306/act2')).toEqual([]);
    expect(errors('C:\\act2\\act2.sqlite')).toEqual([]);
  });
});

describe('helpers', () => {
  it('parses byte sizes', () => {
    expect(['16mb', '16MiB', '512k', '1048576', '1.5kb', 'lots'].map(parseByteSize)).toEqual([
      16_777_216, 16_777_216, 524_288, 1_048_576, 1536, undefined,
    ]);
  });

  it('tells the dialect from --db and hides a PostgreSQL password when describing it', () => {
    expect(parseDbTarget('sqlite:/var/lib/act2.sqlite')).toEqual({ dialect: 'sqlite', file: '/var/lib/act2.sqlite' });
    expect(parseDbTarget('./data/x.sqlite')).toEqual({ dialect: 'sqlite', file: './data/x.sqlite' });
    expect(parseDbTarget('postgresql://u:p@h/db').dialect).toBe('postgres');
    expect(parseDbTarget('mysql://act2:pw@db:3306/act2')).toEqual({ dialect: 'mysql', url: 'mysql://act2:pw@db:3306/act2' });
    expect(parseDbTarget('MariaDB://db/act2').dialect).toBe('mysql');
    expect(parseDbTarget(':memory:')).toEqual({ dialect: 'sqlite', file: ':memory:' });
    expect(describeDb('mysql://act2:hunter2@db:3306/act2')).toBe('mysql://act2:***@db:3306/act2');
    expect(describeDb('postgres://act2:hunter2@db:5432/act2')).toBe('postgres://act2:***@db:5432/act2');
    expect(describeDb('postgres://act2@db/act2?sslmode=require&password=hunter2&sslpassword=s3cret')).toBe(
      'postgres://act2@db/act2?sslmode=require&password=***&sslpassword=***',
    );
  });
});
