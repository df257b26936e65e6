import { Option } from 'commander';
import { isLoopbackUrl, str, withChoices } from '../../config-values.js';
import type { Validator } from '../../config-values.js';
import type { TlsConfig } from '../../core-config.js';
import type { CollectorConfigInput } from '../collector.js';

export const GRAINS_SOURCES = ['live', 'cache'] as const;
export type GrainsSource = (typeof GRAINS_SOURCES)[number];

/** The salt collector's settings: salt-api, its credentials and how minions are read. */
export interface SaltSettings {
  server: string;
  user: string;
  password: string;
  /** Where the password came from; `argv` earns a warning (visible in `ps`). */
  passwordSource: 'argv' | 'env' | 'file';
  eauth: string;
  tls: TlsConfig;
  pingTimeoutMs: number;
  gatherJobTimeoutMs: number;
  /** Send the salt-api user and password as master.options (act2 runs jobs through salt-api with them). */
  sendCredentials: boolean;
  minionSnGrain?: string;
  grainsSource: GrainsSource;
}

/** heartbeat.py's salt flags plus the extras the port needs. */
export function saltOptions(): Option[] {
  return [
    new Option('--salt-server <url>', 'salt-api (rest_cherrypy) URL').default('http://localhost:8001').env('ACT2_SALT_SERVER'),
    new Option('--salt-user <name>', 'salt-api user').default('salt-api').env('ACT2_SALT_USER'),
    new Option('--salt-password <password>', 'salt-api password (visible in ps: prefer the file or the variable)').env('ACT2_SALT_PASSWORD'),
    new Option('--salt-password-file <path>', 'read the salt-api password from this file').env('ACT2_SALT_PASSWORD_FILE'),
    new Option('--salt-eauth <backend>', 'salt-api eauth backend').default('pam').env('ACT2_SALT_EAUTH'),
    new Option('--salt-ca-file <path>', 'CA certificate (PEM) that signed the salt-api certificate').env('ACT2_SALT_CA_FILE'),
    new Option('--salt-insecure', "do not verify salt-api's TLS certificate (its usual self-signed one); warned at every run").env('ACT2_SALT_INSECURE'),
    new Option('--ping-timeout <duration>', "manage.status's wait for minions to answer the ping (salt's timeout)").default('5s').env('ACT2_PING_TIMEOUT'),
    new Option('--gather-job-timeout <duration>', "manage.status's extra wait for slow minions (salt's gather_job_timeout)").default('10s').env('ACT2_GATHER_JOB_TIMEOUT'),
    new Option('--no-send-credentials', 'do not send the salt-api user and password to act2-server').env('ACT2_NO_SEND_CREDENTIALS'),
    new Option('--minion-sn-grain <grain>', 'grain used as minion sn (falls back to the minion id when empty or a placeholder)').env('ACT2_MINION_SN_GRAIN'),
    withChoices(new Option('--grains-source <source>', 'live: grains.item on up minions + cache for down ones; cache: the master grains cache only'), GRAINS_SOURCES)
      .default('live')
      .env('ACT2_GRAINS_SOURCE'),
  ];
}

/** The salt-api password and where it came from; an empty one is an error naming that source. */
function password({ raw, v, source, readFile }: CollectorConfigInput, warnings: string[]) {
  const fromFile = v.file('saltPasswordFile', '--salt-password-file', readFile);
  const direct = str(raw, 'saltPassword');
  if (direct !== undefined && raw.saltPasswordFile !== undefined) {
    v.errors.push('--salt-password and --salt-password-file (or their ACT2_ variables) are both set: give only one');
  }
  if (fromFile !== undefined) {
    const value = fromFile.replace(/\r?\n$/, '');
    if (value.length === 0) v.errors.push(`--salt-password-file: "${String(raw.saltPasswordFile)}" holds no password`);
    return { value, source: 'file' as const };
  }
  if (direct === undefined) {
    if (raw.saltPasswordFile === undefined) {
      v.errors.push('no salt-api password: use --salt-password-file, ACT2_SALT_PASSWORD or --salt-password');
    }
    return { value: '', source: 'env' as const };
  }
  const from = source('saltPassword') === 'cli' ? ('argv' as const) : ('env' as const);
  // An empty ACT2_SALT_PASSWORD= in a cron line is a mistake, never a password salt-api accepts.
  if (direct.length === 0) v.errors.push(`${from === 'argv' ? '--salt-password' : 'ACT2_SALT_PASSWORD'}: the salt-api password is empty`);
  if (from === 'argv') {
    warnings.push('the salt-api password was given on the command line, where ps shows it: prefer --salt-password-file or ACT2_SALT_PASSWORD');
  }
  return { value: direct, source: from };
}

function timeouts(v: Validator, timeoutMs: number) {
  const pingTimeoutMs = v.duration('pingTimeout', '--ping-timeout', 1000);
  const gatherJobTimeoutMs = v.duration('gatherJobTimeout', '--gather-job-timeout', 1000);
  // manage.status waits ping + gather_job timeouts whenever a minion is down: a shorter
  // request timeout would fail every run that has one stopped minion.
  if (timeoutMs > 0 && pingTimeoutMs > 0 && gatherJobTimeoutMs > 0 && timeoutMs <= pingTimeoutMs + gatherJobTimeoutMs) {
    v.errors.push('--timeout must be longer than --ping-timeout + --gather-job-timeout: manage.status waits that long when a minion is down');
  }
  return { pingTimeoutMs, gatherJobTimeoutMs };
}

/** Validates the salt flags into SaltSettings, collecting errors in `input.v` and returning warnings. */
export function parseSaltSettings(input: CollectorConfigInput): { settings: SaltSettings; warnings: string[] } {
  const { raw, v, readFile, core } = input;
  const warnings: string[] = [];
  const pwd = password(input, warnings);
  const ca = v.file('saltCaFile', '--salt-ca-file', readFile);
  const minionSnGrain = v.text('minionSnGrain', '--minion-sn-grain');
  if (minionSnGrain !== undefined && /\s/.test(minionSnGrain)) v.errors.push('--minion-sn-grain: a grain name has no spaces');
  const settings: SaltSettings = {
    server: v.url('saltServer', '--salt-server') ?? '',
    user: v.text('saltUser', '--salt-user') ?? '',
    password: pwd.value,
    passwordSource: pwd.source,
    eauth: v.text('saltEauth', '--salt-eauth') ?? '',
    tls: { insecure: raw.saltInsecure === true, ...(ca === undefined ? {} : { ca }) },
    ...timeouts(v, core.timeoutMs),
    sendCredentials: raw.sendCredentials !== false,
    grainsSource: v.choice('grainsSource', '--grains-source', GRAINS_SOURCES),
    ...(minionSnGrain === undefined ? {} : { minionSnGrain }),
  };
  if (settings.tls.insecure) {
    warnings.push(`TLS verification of salt-api (${settings.server}) is off (--salt-insecure): anyone on the path can read the salt-api password; prefer --salt-ca-file`);
  }
  // salt-api usually listens on localhost; act2 uses master.server to reach it, from elsewhere.
  if (core.advertiseServer === undefined && settings.server !== '' && isLoopbackUrl(settings.server)) {
    warnings.push(`master.server would be ${settings.server}, a loopback address act2 cannot reach: set --advertise-server to the salt-api URL act2 should use`);
  }
  return { settings, warnings };
}
