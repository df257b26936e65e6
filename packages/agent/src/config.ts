import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { formatDuration, ServerType } from '@act2/shared';
import type { Collector, ConfiguredCollector } from './collectors/collector.js';
import { COLLECTORS } from './collectors/registry.js';
import { isLoopbackUrl, parseBool, str, Validator } from './config-values.js';
import type { Raw } from './config-values.js';
import type { CoreConfig } from './core-config.js';
import { LOG_LEVELS } from './log.js';
import { createProgram, optionKeys } from './program.js';

export type { CoreConfig, TlsConfig } from './core-config.js';
export { DEFAULT_STATE_DIR } from './state-file.js';

/** Everything a run needs: the shared settings and the configured collector of --srv-type. */
export interface AgentConfig extends CoreConfig {
  collector: ConfiguredCollector;
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
  const collectors = Object.values(COLLECTORS);
  const program = createProgram(collectors);
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
  const readFile = deps.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const raw: Raw = program.opts();
  const v = new Validator(raw, errors);
  const { core, warnings } = validateCore(raw, v, readFile, env);
  const collector = COLLECTORS[core.srvType];
  const source = (key: string) => program.getOptionValueSource(key);
  const configured = collector.configure({ raw, v, source, readFile, core });
  warnings.push(...configured.warnings, ...foreignOptions(program, collector, collectors));
  return errors.length > 0 ? { errors } : { config: { ...core, collector: configured.collector }, warnings };
}

/** Flags of another collector are ignored: say so, a `--salt-password` with `--srv-type puppet` is a slip. */
function foreignOptions(program: Command, selected: Collector, collectors: readonly Collector[]): string[] {
  const own = new Set(optionKeys(selected));
  const warnings: string[] = [];
  for (const other of collectors) {
    if (other === selected) continue;
    for (const key of optionKeys(other)) {
      if (own.has(key) || program.getOptionValueSource(key) !== 'cli') continue;
      const flag = program.options.find((o) => o.attributeName() === key)?.long ?? key;
      warnings.push(`${flag} belongs to --srv-type ${other.type} and is ignored with --srv-type ${selected.type}`);
    }
  }
  return warnings;
}

function debugFlag(value: unknown, errors: string[]): boolean {
  if (value === undefined || typeof value === 'boolean') return value === true;
  const flag = parseBool(String(value));
  if (flag === undefined) errors.push(`--debug: "${String(value)}" is not a boolean`);
  return flag === true;
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

function validateCore(raw: Raw, v: Validator, readFile: (path: string) => string, env: Record<string, string | undefined>): { core: CoreConfig; warnings: string[] } {
  const { errors } = v;
  const warnings: string[] = [];
  const dryRun = raw.dryRun === true;
  const debug = debugFlag(raw.debug, errors);
  const logLevel = v.choice('logLevel', '--log-level', LOG_LEVELS);
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
  const deadlineMs = v.duration('deadline', '--deadline', 1);
  // The deadline bounds the delivery to act2-server only: collection can still take --timeout
  // per request on a hanging service, so the run lasts longer than the deadline suggests.
  if (deadlineMs > 0 && timeoutMs > 0 && deadlineMs < timeoutMs) {
    warnings.push(
      `--deadline (${formatDuration(deadlineMs)}) is shorter than --timeout (${formatDuration(timeoutMs)}): the deadline bounds only the delivery to act2-server, and each request to salt-api or PuppetDB may still take the whole --timeout`,
    );
  }
  const splayMs = v.duration('splay', '--splay', 0);
  const intervalMs = v.duration('interval', '--interval', 1000);
  // The splay sleeps inside one cron period: as long as the period, runs would pile up.
  if (intervalMs > 0 && splayMs >= intervalMs) errors.push(`--splay (${str(raw, 'splay') ?? ''}) must be shorter than --interval (${str(raw, 'interval') ?? ''})`);
  const core: CoreConfig = {
    logLevel: debug ? 'debug' : logLevel,
    act2Tls: {
      insecure: raw.act2Insecure === true,
      ...(act2Ca === undefined ? {} : { ca: act2Ca }),
      ...(act2Cert === undefined || act2Key === undefined ? {} : { cert: act2Cert, key: act2Key }),
    },
    srvType: v.choice('srvType', '--srv-type', ServerType.options),
    idc: idc ?? '',
    timeoutMs,
    deadlineMs,
    splayMs,
    intervalMs,
    gzip: raw.gzip !== false,
    dryRun,
    excludeInterfaces: (str(raw, 'excludeInterfaces') ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0),
  };
  const optional = {
    logFile: v.text('logFile', '--log-file', 4096),
    act2Server,
    masterSn: v.text('masterSn', '--master-sn'),
    advertiseServer: v.url('advertiseServer', '--advertise-server'),
    act2Token,
    stateDir,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(core, { [key]: value });
  }
  if (act2Token !== undefined && act2Server !== undefined && act2Server.startsWith('http://') && !isLoopbackUrl(act2Server)) {
    warnings.push('the act2-server token and master key go over plain http://: anyone on the path can read them; serve act2-server over https (--tls-cert, or nginx in front)');
  }
  return { core, warnings };
}
