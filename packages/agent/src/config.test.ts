import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from './config.js';
import type { SaltSettings } from './collectors/salt/config.js';
import type { AgentConfig, CoreConfig, ParseResult } from './config.js';
import { VERSION } from './version.js';

const TOKEN = `act2t_${'k'.repeat(43)}`;
const files: Record<string, string> = { '/etc/act2/token': `${TOKEN}\n`, '/etc/act2/two-lines': 'a\nb\n', '/etc/act2/pw': 's3cret\n', '/etc/act2/ca.pem': 'PEM', '/etc/act2/empty': '', '/etc/act2/newline': '\n' };
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return text;
};
const REQUIRED = ['--act2-server', 'http://act2.example:6868/', '--idc', 'sh-01', '--salt-password-file', '/etc/act2/pw'];

function configOf(result: ParseResult): AgentConfig {
  if (!('config' in result)) throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  return result.config;
}

function errorsOf(result: ParseResult): string[] {
  if (!('errors' in result)) throw new Error(`expected errors, got ${JSON.stringify(result)}`);
  return result.errors;
}

describe('parseAgentConfig', () => {
  it("applies heartbeat.py's defaults and the extras' defaults", () => {
    const config = configOf(parseAgentConfig(REQUIRED, {}, { readFile }));
    const { collector, ...core } = config;
    expect(core).toEqual({
      logLevel: 'info',
      act2Server: 'http://act2.example:6868',
      act2Tls: { insecure: false },
      srvType: 'salt',
      idc: 'sh-01',
      timeoutMs: 60_000,
      deadlineMs: 120_000,
      splayMs: 0,
      intervalMs: 1_800_000,
      gzip: true,
      dryRun: false,
      excludeInterfaces: ['docker0', 'virbr*', 'veth*'],
      stateDir: '/var/lib/act2-heartbeat',
    } satisfies CoreConfig);
    expect(collector.type).toBe('salt');
    expect(collector.settings).toEqual({
      server: 'http://localhost:8001',
      user: 'salt-api',
      password: 's3cret',
      passwordSource: 'file',
      eauth: 'pam',
      tls: { insecure: false },
      pingTimeoutMs: 5000,
      gatherJobTimeoutMs: 10_000,
      sendCredentials: true,
      grainsSource: 'live',
    } satisfies SaltSettings);
    expect(collector.master).toEqual({ server: 'http://localhost:8001', options: { username: 'salt-api', password: 's3cret' } });
  });

  it('reads every flag', () => {
    const argv = [
      ...REQUIRED.slice(0, 4),
      '-d', '--log-file', '/var/log/hb.log', '--salt-server', 'https://salt:8000/', '--salt-user', 'api',
      '--salt-password', 'pw', '--salt-eauth', 'file', '--salt-ca-file', '/etc/act2/ca.pem', '--salt-insecure',
      '--act2-ca-file', '/etc/act2/ca.pem', '--act2-insecure', '--srv-type', 'salt', '--master-sn', ' SN-1 ',
      '--advertise-server', 'https://salt.example:8000/', '--timeout', '90s', '--ping-timeout', '2', '--gather-job-timeout', '3s',
      '--deadline', '5m', '--splay', '1m', '--interval', '1h', '--no-send-credentials', '--no-gzip', '--dry-run',
      '--minion-sn-grain', 'serialnumber', '--exclude-interfaces', 'docker*, br-*', '--grains-source', 'cache',
    ];
    const config = configOf(parseAgentConfig(argv, {}, { readFile }));
    expect(config).toMatchObject({
      logLevel: 'debug', logFile: '/var/log/hb.log', act2Tls: { ca: 'PEM', insecure: true },
      srvType: 'salt', masterSn: 'SN-1', advertiseServer: 'https://salt.example:8000', timeoutMs: 90_000,
      deadlineMs: 300_000, splayMs: 60_000, intervalMs: 3_600_000, gzip: false, dryRun: true, excludeInterfaces: ['docker*', 'br-*'],
    });
    expect(config.collector.settings).toEqual({
      server: 'https://salt:8000', user: 'api', password: 'pw', passwordSource: 'argv', eauth: 'file', tls: { ca: 'PEM', insecure: true },
      pingTimeoutMs: 2000, gatherJobTimeoutMs: 3000, sendCredentials: false, minionSnGrain: 'serialnumber', grainsSource: 'cache',
    } satisfies SaltSettings);
    expect(config.collector.master).toEqual({ server: 'https://salt.example:8000' });
  });

  it('reads every option from ACT2_* variables, booleans included', () => {
    const env = {
      ACT2_SERVER: 'http://a:1', ACT2_IDC: 'bj', ACT2_SALT_PASSWORD: 'envpw', ACT2_SALT_SERVER: 'http://s:8001',
      ACT2_LOG_LEVEL: 'warning', ACT2_DRY_RUN: 'yes', ACT2_SALT_INSECURE: 'true', ACT2_NO_SEND_CREDENTIALS: '1',
      ACT2_TIMEOUT: '30', ACT2_GRAINS_SOURCE: 'cache', ACT2_MINION_SN_GRAIN: 'uuid', ACT2_SPLAY: '10s', ACT2_NO_GZIP: 'on',
    };
    const result = parseAgentConfig([], env, { readFile });
    expect(configOf(result)).toMatchObject({ act2Server: 'http://a:1', idc: 'bj', logLevel: 'warning', dryRun: true, timeoutMs: 30_000, splayMs: 10_000, gzip: false });
    expect(configOf(result).collector.settings).toMatchObject({
      password: 'envpw', passwordSource: 'env', server: 'http://s:8001', tls: { insecure: true }, sendCredentials: false, grainsSource: 'cache', minionSnGrain: 'uuid',
    });
    expect('warnings' in result && result.warnings).toEqual([expect.stringContaining('TLS verification of salt-api (http://s:8001) is off (--salt-insecure)')]);
  });

  it('lets a flag win over its variable, and reads ACT2_DRY_RUN=0 as false', () => {
    const config = configOf(parseAgentConfig([...REQUIRED, '--idc', 'flag-idc'], { ACT2_IDC: 'env-idc', ACT2_DRY_RUN: '0' }, { readFile }));
    expect([config.idc, config.dryRun]).toEqual(['flag-idc', false]);
  });

  it('warns when the password is on the command line, where ps shows it', () => {
    const result = parseAgentConfig(['--act2-server', 'http://a:1', '--idc', 'x', '--salt-password', 'pw', '--advertise-server', 'http://salt.example:8001'], {}, { readFile });
    expect('warnings' in result && result.warnings).toEqual([expect.stringContaining('command line')]);
  });

  it('reports every error at once', () => {
    const argv = ['--timeout', 'soon', '--srv-type', 'chef', '--log-level', 'loud', '--salt-server', 'ftp://x', '--salt-password-file', '/missing', '--interval', '0'];
    const errors = errorsOf(parseAgentConfig(argv, { ACT2_SALT_INSECURE: 'maybe' }, { readFile }));
    expect(errors).toEqual([
      'ACT2_SALT_INSECURE: "maybe" is not a boolean (use 1/true/yes/on or 0/false/no/off)',
      '--log-level: "loud" is not one of fatal, error, warn, warning, info, debug, trace, silent',
      '--act2-server is required (or ACT2_SERVER), unless --dry-run',
      '--idc is required (or ACT2_IDC), unless --dry-run',
      '--timeout: "soon" is not a duration (use 90s, 2m, 1h30m or plain seconds)',
      '--interval: must be at least 1000ms, got "0"',
      '--srv-type: "chef" is not one of salt, puppet, openssh',
      '--salt-password-file: cannot read "/missing" (ENOENT)',
      '--salt-server: "ftp://x" must start with http:// or https://',
    ]);
  });

  it('needs neither --act2-server nor --idc with --dry-run, but always a password', () => {
    expect(configOf(parseAgentConfig(['--dry-run', '--salt-password-file', '/etc/act2/pw'], {}, { readFile })).act2Server).toBeUndefined();
    expect(errorsOf(parseAgentConfig(['--dry-run'], {}, { readFile }))).toEqual([
      'no salt-api password: use --salt-password-file, ACT2_SALT_PASSWORD or --salt-password',
    ]);
  });

  it('refuses two password sources and a request timeout shorter than manage.status can take', () => {
    const errors = errorsOf(parseAgentConfig([...REQUIRED, '--timeout', '15s'], { ACT2_SALT_PASSWORD: 'x' }, { readFile }));
    expect(errors).toEqual([
      '--salt-password and --salt-password-file (or their ACT2_ variables) are both set: give only one',
      '--timeout must be longer than --ping-timeout + --gather-job-timeout: manage.status waits that long when a minion is down',
    ]);
  });

  it('warns when master.server would be a loopback URL act2 cannot reach, unless --advertise-server is set', () => {
    const warningsFor = (...args: string[]) => {
      const result = parseAgentConfig([...REQUIRED, ...args], {}, { readFile });
      return 'warnings' in result ? result.warnings : result;
    };
    const warning = (url: string) => `master.server would be ${url}, a loopback address act2 cannot reach: set --advertise-server to the salt-api URL act2 should use`;
    expect(warningsFor()).toEqual([warning('http://localhost:8001')]);
    expect(warningsFor('--salt-server', 'https://127.3.2.1:8000')).toEqual([warning('https://127.3.2.1:8000')]);
    expect(warningsFor('--salt-server', 'http://[::1]:8001/')).toEqual([warning('http://[::1]:8001')]);
    expect(warningsFor('--advertise-server', 'http://salt.example:8001')).toEqual([]);
    expect(warningsFor('--salt-server', 'http://10.0.0.1:8001')).toEqual([]);
    expect(warningsFor('--salt-server', 'http://localhost.example.com:8001')).toEqual([]);
  });

  it('refuses an empty password, naming where it came from', () => {
    const dry = ['--dry-run'];
    expect(errorsOf(parseAgentConfig(dry, { ACT2_SALT_PASSWORD: '' }, { readFile }))).toEqual(['ACT2_SALT_PASSWORD: the salt-api password is empty']);
    expect(errorsOf(parseAgentConfig([...dry, '--salt-password', ''], {}, { readFile }))).toEqual(['--salt-password: the salt-api password is empty']);
    expect(errorsOf(parseAgentConfig([...dry, '--salt-password-file', '/etc/act2/empty'], {}, { readFile }))).toEqual(['--salt-password-file: "/etc/act2/empty" holds no password']);
    expect(errorsOf(parseAgentConfig(dry, { ACT2_SALT_PASSWORD_FILE: '/etc/act2/newline' }, { readFile }))).toEqual(['--salt-password-file: "/etc/act2/newline" holds no password']);
  });

  it('needs --splay shorter than --interval: a longer sleep would run into the next cron run', () => {
    expect(errorsOf(parseAgentConfig([...REQUIRED, '--splay', '30m'], {}, { readFile }))).toEqual(['--splay (30m) must be shorter than --interval (30m)']);
    expect(errorsOf(parseAgentConfig([...REQUIRED, '--splay', '2h', '--interval', '1h'], {}, { readFile }))).toEqual(['--splay (2h) must be shorter than --interval (1h)']);
    expect(configOf(parseAgentConfig([...REQUIRED, '--splay', '29m'], {}, { readFile })).splayMs).toBe(1_740_000);
  });

  it('refuses credentials inside URLs, without repeating them', () => {
    const argv = [...REQUIRED.slice(0, 1), 'http://u:act2pw@act2:6868', ...REQUIRED.slice(2), '--salt-server', 'https://salt-api:saltpw@salt:8000', '--advertise-server', 'https://user@salt.example:8000'];
    const errors = errorsOf(parseAgentConfig(argv, {}, { readFile }));
    const hint = 'must not hold a user or password (they would be logged and sent to act2-server): put credentials in --salt-user/--salt-password';
    expect(errors).toEqual([`--act2-server: ${hint}`, `--advertise-server: ${hint}`, `--salt-server: ${hint}`]);
    expect(errors.join('\n')).not.toMatch(/act2pw|saltpw/);
    const puppet = errorsOf(parseAgentConfig(['--dry-run', '--srv-type', 'puppet', '--puppetdb-url', 'http://u:pdbpw@puppet:8080'], {}, { readFile }));
    expect(puppet).toEqual(['--puppetdb-url: must not hold a user or password (they would be logged and sent to act2-server): PuppetDB takes a client certificate (--puppetdb-cert/--puppetdb-key)']);
  });

  it('reports an unknown flag as a usage error', () => {
    expect(errorsOf(parseAgentConfig(['--salt-pasword', 'x'], {}, { readFile }))).toEqual([expect.stringContaining("unknown option '--salt-pasword'")]);
  });

  it('answers --version and --help with output, the help listing exit codes and variables', () => {
    expect(parseAgentConfig(['-v'], {})).toEqual({ output: `${VERSION}\n` });
    const help = parseAgentConfig(['--help'], {});
    expect('output' in help && help.output).toContain('Exit codes:');
    expect('output' in help && help.output).toContain('env: ACT2_SALT_PASSWORD_FILE');
    expect('output' in help && help.output).toContain('registered, but salt-api / PuppetDB / the roster was unavailable');
  });

  it('groups --help by collector: each kind of master lists its own flags under its heading', () => {
    const help = parseAgentConfig(['--help'], {});
    const text = 'output' in help ? help.output : '';
    const at = (needle: string) => {
      const index = text.indexOf(needle);
      expect(index, needle).toBeGreaterThan(-1);
      return index;
    };
    const salt = at('salt (--srv-type salt)');
    const puppet = at('puppet (--srv-type puppet)');
    const openssh = at('openssh (--srv-type openssh)');
    expect(at('--act2-server <url>')).toBeLessThan(salt);
    for (const flag of ['--salt-password-file', '--ping-timeout', '--grains-source', '--no-send-credentials']) expect(at(flag)).toBeGreaterThan(salt);
    for (const flag of ['--salt-password-file', '--ping-timeout']) expect(at(flag)).toBeLessThan(puppet);
    for (const flag of ['--puppetdb-url', '--puppet-stale', '--puppetdb-cert']) expect(at(flag)).toBeGreaterThan(puppet);
    for (const flag of ['--roster', '--probe-timeout', '--probe-concurrency']) expect(at(flag)).toBeGreaterThan(openssh);
  });

  it('asks for a salt-api password only with --srv-type salt, and warns about flags of another collector', () => {
    const puppet = parseAgentConfig(['--dry-run', '--srv-type', 'puppet', '--salt-user', 'x', '--advertise-server', 'http://puppet.example:8080'], {}, { readFile });
    expect('config' in puppet && puppet.warnings).toEqual(['--salt-user belongs to --srv-type salt and is ignored with --srv-type puppet']);
    expect(configOf(puppet).collector.master).toEqual({ server: 'http://puppet.example:8080' });
    expect(configOf(parseAgentConfig(['--dry-run', '--srv-type', 'openssh', '--advertise-server', 'http://proxy.example:8080'], {}, { readFile })).collector.type).toBe('openssh');
    expect(errorsOf(parseAgentConfig(['--dry-run', '--srv-type', 'openssh'], {}, { readFile }))).toEqual([
      '--advertise-server is required with --srv-type openssh: the URL act2 uses to reach this SSH proxy (sent as master.server)',
    ]);
  });

  it('warns when --deadline is shorter than --timeout (the deadline does not bound salt-api calls)', () => {
    const result = parseAgentConfig([...REQUIRED, '--advertise-server', 'http://salt.example:8001', '--deadline', '30s', '--timeout', '60s'], {}, { readFile });
    expect('warnings' in result && result.warnings).toEqual([
      '--deadline (30s) is shorter than --timeout (1m): the deadline bounds only the delivery to act2-server, and each request to salt-api or PuppetDB may still take the whole --timeout',
    ]);
    const fine = parseAgentConfig([...REQUIRED, '--advertise-server', 'http://salt.example:8001', '--deadline', '60s', '--timeout', '60s'], {}, { readFile });
    expect('warnings' in fine && fine.warnings).toEqual([]);
  });

  describe('act2-server credentials', () => {
    it('reads the token from --act2-token-file or ACT2_TOKEN, and the state dir and client certificate', () => {
      const fromFile = configOf(parseAgentConfig([...REQUIRED, '--act2-token-file', '/etc/act2/token', '--state-dir', '/srv/hb'], {}, { readFile }));
      const fromEnv = configOf(parseAgentConfig(REQUIRED, { ACT2_TOKEN: ` ${TOKEN} `, ACT2_STATE_DIR: '/srv/env' }, { readFile }));
      const cert = configOf(parseAgentConfig([...REQUIRED, '--act2-cert-file', '/etc/act2/ca.pem', '--act2-key-file', '/etc/act2/pw'], {}, { readFile }));

      expect([fromFile.act2Token, fromFile.stateDir]).toEqual([TOKEN, '/srv/hb']);
      expect([fromEnv.act2Token, fromEnv.stateDir]).toEqual([TOKEN, '/srv/env']);
      expect(cert.act2Tls).toEqual({ insecure: false, cert: 'PEM', key: 's3cret\n' });
    });

    it('refuses a token flag, both token sources, a token file with several lines, and a certificate without its key', () => {
      const flag = parseAgentConfig([...REQUIRED, '--act2-token', TOKEN], {}, { readFile });
      const both = errorsOf(parseAgentConfig([...REQUIRED, '--act2-token-file', '/etc/act2/token'], { ACT2_TOKEN: TOKEN }, { readFile }));
      const lines = errorsOf(parseAgentConfig([...REQUIRED, '--act2-token-file', '/etc/act2/two-lines'], {}, { readFile }));
      const empty = errorsOf(parseAgentConfig([...REQUIRED, '--act2-token-file', '/etc/act2/empty'], {}, { readFile }));
      const half = errorsOf(parseAgentConfig([...REQUIRED, '--act2-cert-file', '/etc/act2/ca.pem'], {}, { readFile }));

      expect(errorsOf(flag)).toEqual(["unknown option '--act2-token'"]);
      expect(both).toEqual(['--act2-token-file (ACT2_TOKEN_FILE) and ACT2_TOKEN are both set: give only one']);
      expect(lines).toEqual(['--act2-token-file: a token is one word (act2t_…), this holds spaces or several lines']);
      expect(empty).toEqual(['--act2-token-file: "/etc/act2/empty" holds no token']);
      expect(half).toEqual(['give --act2-cert-file and --act2-key-file together']);
    });

    it('warns when the token would travel over plain http to another host', () => {
      const result = parseAgentConfig([...REQUIRED, '--act2-token-file', '/etc/act2/token'], {}, { readFile });
      const local = parseAgentConfig(['--act2-server', 'http://127.0.0.1:6868', ...REQUIRED.slice(2), '--act2-token-file', '/etc/act2/token'], {}, { readFile });

      expect('warnings' in result && result.warnings.some((w) => w.startsWith('the act2-server token and master key go over plain http://'))).toBe(true);
      expect('warnings' in local && local.warnings.some((w) => w.includes('plain http://'))).toBe(false);
    });
  });
});
