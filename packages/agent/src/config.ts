import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { ServerType } from '@act2/shared';
import { isLoopbackUrl, parseBool, str, Validator } from './config-values.js';
import type { Raw } from './config-values.js';
import { LOG_LEVELS } from './log.js';
import type { LogLevelName } from './log.js';
import { createProgram, GRAINS_SOURCES } from './program.js';
import type { GrainsSource } from './program.js';

export type { GrainsSource } from './program.js';

/** TLS settings of one end (salt-api or act2-server). */
export interface TlsConfig {
  /** PEM text of the CA file, read at config time so a bad path is a config error. */
  ca?: string;
  /** Skip certificate verification (salt-api's usual self-signed certificate). */
  insecure: boolean;
  /** PEM client certificate (chain) and its key, for a server that requires them (act2-server --tls-client-ca). */
  cert?: string;
  key?: string;
}

export { DEFAULT_STATE_DIR } from './state-file.js';

/** Everything a run needs, validated and normalised (URLs without trailing slash, durations in ms). */
export interface AgentConfig {
  logLevel: LogLevelName;
  logFile?: string;
  saltServer: string;
  saltUser: string;
  saltPassword: string;
  /** Where the password came from; `argv` earns a warning (visible in `ps`). */
  saltPasswordSource: 'argv' | 'env' | 'file';
  saltEauth: string;
  saltTls: TlsConfig;
  /** Undefined only with `dryRun`. */
  act2Server?: string;
  act2Tls: TlsConfig;
  /**
   * The act2-server API token (scope register): enrolls this master on its first registration.
   * From --act2-token-file or ACT2_TOKEN, never a flag value (ps would show it).
   */
  act2Token?: string;
  /** Where the master key is kept (0600 file); undefined: no key store (in-process use). */
  stateDir?: string;
  srvType: ServerType;
  idc: string;
  masterSn?: string;
  advertiseServer?: string;
  timeoutMs: number;
  pingTimeoutMs: number;
  gatherJobTimeoutMs: number;
  deadlineMs: number;
  splayMs: number;
  intervalMs: number;
  sendCredentials: boolean;
  /** Gzip large registrations (default); `--no-gzip` for a proxy that refuses compressed bodies. */
  gzip: boolean;
  dryRun: boolean;
  minionSnGrain?: string;
  /** Interface name globs (`*`, `?`); `lo` is always excluded on top of these. */
  excludeInterfaces: string[];
  grainsSource: GrainsSource;
}

export type ParseResult =
  | { config: AgentConfig; warnings: string[] }
  | { errors: string[] }
  /** `--help` / `--version`: print `output` on stdout and exit 0. */
  | { output: string };

export interface ConfigDeps {
  readFile?: (path: string) => string;
}

/**
 * Commander reads `process.env` itself; the agent takes `env` as an argument (tests, in-process
 * runs), so the given env is applied here and is authoritative: a value commander took from
 * process.env but absent from `env` falls back to the default. Booleans are parsed (commander
 * would treat `ACT2_DRY_RUN=0` as true).
 */
function applyEnv(program: Command, env: Record<string, string | undefined>, errors: string[]): void {
  for (const option of program.options) {
    if (!option.envVar) continue;
    const key = option.attributeName();
    const source = program.getOptionValueSource(key);
    if (source === 'cli') continue;
    const raw = env[option.envVar];
    if (raw === undefined) {
      if (source === 'env') program.setOptionValueWithSource(key, option.defaultValue, 'default');
      continue;
    }
    if (!option.isBoolean() && !option.negate) {
      program.setOptionValueWithSource(key, raw, 'env');
      continue;
    }
    const flag = parseBool(raw);
    if (flag === undefined) errors.push(`${option.envVar}: "${raw}" is not a boolean (use 1/true/yes/on or 0/false/no/off)`);
    else program.setOptionValueWithSource(key, option.negate ? !flag : flag, 'env');
  }
}

/** Parses argv (without node and script) and env into a validated config, reporting every error at once. */
export function parseAgentConfig(argv: readonly string[], env: Record<string, string | undefined>, deps: ConfigDeps = {}): ParseResult {
  const program = createProgram();
  let output = '';
  let commanderError = '';
  program.configureOutput({
    writeOut: (text) => { output += text; },
    writeErr: (text) => { commanderError += text; },
  });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return { output };
    return { errors: [(commanderError || error.message).trim().replace(/^error: /, '')] };
  }
  const errors: string[] = [];
  applyEnv(program, env, errors);
  const result = validate(program, deps.readFile ?? ((path) => readFileSync(path, 'utf8')), errors, env);
  return errors.length > 0 ? { errors } : result;
}

function debugFlag(value: unknown, errors: string[]): boolean {
  if (value === undefined || typeof value === 'boolean') return value === true;
  const flag = parseBool(String(value));
  if (flag === undefined) errors.push(`--debug: "${String(value)}" is not a boolean`);
  return flag === true;
}

/** The salt-api password and where it came from; an empty one is an error naming that source. */
function password(program: Command, v: Validator, readFile: (path: string) => string, warnings: string[]) {
  const raw = program.opts();
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
  const source = program.getOptionValueSource('saltPassword') === 'cli' ? ('argv' as const) : ('env' as const);
  // An empty ACT2_SALT_PASSWORD= in a cron line is a mistake, never a password salt-api accepts.
  if (direct.length === 0) v.errors.push(`${source === 'argv' ? '--salt-password' : 'ACT2_SALT_PASSWORD'}: the salt-api password is empty`);
  if (source === 'argv') {
    warnings.push('the salt-api password was given on the command line, where ps shows it: prefer --salt-password-file or ACT2_SALT_PASSWORD');
  }
  return { value: direct, source };
}

/**
 * The API token: --act2-token-file (or ACT2_TOKEN_FILE), or ACT2_TOKEN. There is no flag taking
 * the token itself: a value on argv is visible to every user of the host (ps).
 */
function token(v: Validator, raw: Raw, env: Record<string, string | undefined>, readFile: (path: string) => string): string | undefined {
  const fromFile = v.file('act2TokenFile', '--act2-token-file', readFile);
  const direct = env.ACT2_TOKEN;
  if (fromFile !== undefined && direct !== undefined && direct !== '') {
    v.errors.push('--act2-token-file (ACT2_TOKEN_FILE) and ACT2_TOKEN are both set: give only one');
    return undefined;
  }
  const value = (fromFile ?? direct)?.trim();
  if (value === undefined) return undefined;
  if (value === '') {
    if (fromFile !== undefined) v.errors.push(`--act2-token-file: "${String(raw.act2TokenFile)}" holds no token`);
    return undefined;
  }
  if (/\s/.test(value)) v.errors.push(`${fromFile !== undefined ? '--act2-token-file' : 'ACT2_TOKEN'}: a token is one word (act2t_…), this holds spaces or several lines`);
  return value;
}

function validate(
  program: Command,
  readFile: (path: string) => string,
  errors: string[],
  env: Record<string, string | undefined>,
): { config: AgentConfig; warnings: string[] } {
  const raw: Raw = program.opts();
  const v = new Validator(raw, errors);
  const warnings: string[] = [];
  const dryRun = raw.dryRun === true;
  const debug = debugFlag(raw.debug, errors);
  const logLevel = v.choice('logLevel', '--log-level', LOG_LEVELS);
  const pwd = password(program, v, readFile, warnings);
  const saltCa = v.file('saltCaFile', '--salt-ca-file', readFile);
  const act2Ca = v.file('act2CaFile', '--act2-ca-file', readFile);
  const act2Server = v.url('act2Server', '--act2-server');
  const act2Token = token(v, raw, env, readFile);
  const act2Cert = v.file('act2CertFile', '--act2-cert-file', readFile);
  const act2Key = v.file('act2KeyFile', '--act2-key-file', readFile);
  if ((raw.act2CertFile === undefined) !== (raw.act2KeyFile === undefined)) errors.push('give --act2-cert-file and --act2-key-file together');
  const stateDir = v.text('stateDir', '--state-dir', 4096);
  const idc = v.text('idc', '--idc');
  if (!dryRun && str(raw, 'act2Server') === undefined) errors.push('--act2-server is required (or ACT2_SERVER), unless --dry-run');
  if (!dryRun && idc === undefined) errors.push('--idc is required (or ACT2_IDC), unless --dry-run');
  const timeoutMs = v.duration('timeout', '--timeout', 1);
  const pingTimeoutMs = v.duration('pingTimeout', '--ping-timeout', 1000);
  const gatherJobTimeoutMs = v.duration('gatherJobTimeout', '--gather-job-timeout', 1000);
  // manage.status waits ping + gather_job timeouts whenever a minion is down: a shorter
  // request timeout would fail every run that has one stopped minion.
  if (timeoutMs > 0 && pingTimeoutMs > 0 && gatherJobTimeoutMs > 0 && timeoutMs <= pingTimeoutMs + gatherJobTimeoutMs) {
    errors.push('--timeout must be longer than --ping-timeout + --gather-job-timeout: manage.status waits that long when a minion is down');
  }
  const splayMs = v.duration('splay', '--splay', 0);
  const intervalMs = v.duration('interval', '--interval', 1000);
  // The splay sleeps inside one cron period: as long as the period, runs would pile up.
  if (intervalMs > 0 && splayMs >= intervalMs) errors.push(`--splay (${str(raw, 'splay') ?? ''}) must be shorter than --interval (${str(raw, 'interval') ?? ''})`);
  const exclude = (str(raw, 'excludeInterfaces') ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const minionSnGrain = v.text('minionSnGrain', '--minion-sn-grain');
  if (minionSnGrain !== undefined && /\s/.test(minionSnGrain)) errors.push('--minion-sn-grain: a grain name has no spaces');
  const config: AgentConfig = {
    logLevel: debug ? 'debug' : logLevel,
    saltServer: v.url('saltServer', '--salt-server') ?? '',
    saltUser: v.text('saltUser', '--salt-user') ?? '',
    saltPassword: pwd.value,
    saltPasswordSource: pwd.source,
    saltEauth: v.text('saltEauth', '--salt-eauth') ?? '',
    saltTls: { insecure: raw.saltInsecure === true, ...(saltCa === undefined ? {} : { ca: saltCa }) },
    act2Tls: {
      insecure: raw.act2Insecure === true,
      ...(act2Ca === undefined ? {} : { ca: act2Ca }),
      ...(act2Cert === undefined || act2Key === undefined ? {} : { cert: act2Cert, key: act2Key }),
    },
    srvType: v.choice('srvType', '--srv-type', ServerType.options),
    idc: idc ?? '',
    timeoutMs,
    pingTimeoutMs,
    gatherJobTimeoutMs,
    deadlineMs: v.duration('deadline', '--deadline', 1),
    splayMs,
    intervalMs,
    sendCredentials: raw.sendCredentials !== false,
    gzip: raw.gzip !== false,
    dryRun,
    excludeInterfaces: exclude,
    grainsSource: v.choice('grainsSource', '--grains-source', GRAINS_SOURCES),
  };
  const optional = {
    logFile: v.text('logFile', '--log-file', 4096),
    act2Server,
    masterSn: v.text('masterSn', '--master-sn'),
    advertiseServer: v.url('advertiseServer', '--advertise-server'),
    minionSnGrain,
    act2Token,
    stateDir,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(config, { [key]: value });
  }
  if (act2Token !== undefined && act2Server !== undefined && act2Server.startsWith('http://') && !isLoopbackUrl(act2Server)) {
    warnings.push('the act2-server token and master key go over plain http://: anyone on the path can read them; serve act2-server over https (--tls-cert, or nginx in front)');
  }
  // salt-api usually listens on localhost; act2 uses master.server to reach it, from elsewhere.
  if (optional.advertiseServer === undefined && config.saltServer !== '' && isLoopbackUrl(config.saltServer)) {
    warnings.push(`master.server would be ${config.saltServer}, a loopback address act2 cannot reach: set --advertise-server to the salt-api URL act2 should use`);
  }
  return { config, warnings };
}
