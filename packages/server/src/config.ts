import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MASTER_TIMEOUT_MS,
  DEFAULT_SERVER_PORT,
  formatDuration,
  LOG_LEVELS,
  parseDuration,
  type LogLevel,
} from '@act2/shared';
import { DbTargetError, parseDbTarget, type DbTarget } from './db/dialects/index.js';

export { parseDbTarget, type DbTarget } from './db/dialects/index.js';
import { isAddressOrCidr } from './metrics/address-list.js';

export { LOG_LEVELS, type LogLevel };

export const DEFAULT_DB = './data/act2.sqlite';

/** Far above the largest real master (tens of thousands of minions), far below what hurts the server. */
export const DEFAULT_MAX_MINIONS = 200_000;
/** SQLite's `PRAGMA mmap_size` unless --sqlite-mmap says otherwise. */
export const DEFAULT_SQLITE_MMAP_BYTES = 256 * 1024 * 1024;

/** The longest delay a Node timer (and a PostgreSQL millisecond setting) can hold: 2^31 - 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Everything act2-server needs, already parsed. Build it in code with {@link serverConfig}
 * (`serverConfig({ db: 'sqlite:/tmp/x.sqlite', port: 0 })`) or from flags/env with {@link loadServerConfig}.
 */
export interface ServerConfig {
  /**
   * Where the data lives: `postgres://…` / `postgresql://…` for PostgreSQL, `mysql://…` /
   * `mariadb://…` for MySQL or MariaDB, otherwise a SQLite file path, optionally prefixed with
   * `sqlite:` (`sqlite:/var/lib/act2/act2.sqlite`). Any other scheme is an error.
   */
  db: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  host: string;
  /** A master whose last heartbeat is older than this becomes `timeout`. Must exceed `heartbeatIntervalMs`. */
  masterTimeoutMs: number;
  /** How often every instance runs the timeout sweep. */
  checkIntervalMs: number;
  /** The agents' heartbeat period; only used to check that the timeout is longer. */
  heartbeatIntervalMs: number;
  /** Largest request body accepted, checked on the decompressed size of a gzip body too. */
  bodyLimitBytes: number;
  /** Most minions one registration may list (413 above); also bounds the JSON structure of a body. */
  maxMinions: number;
  /** AES-256 key for stored salt-api passwords: base64 or hex of 32 bytes. */
  secretKey?: string | undefined;
  /** File holding the key (same encodings). Without key nor file, SQLite creates `secret.key` beside its file. */
  secretKeyFile?: string | undefined;
  /** Written into every event this instance records. */
  instanceId: string;
  logLevel: LogLevel;
  /** Database connections per instance (PostgreSQL, MySQL). */
  dbPoolSize: number;
  /** No single query may run longer (PostgreSQL `statement_timeout`, MariaDB `max_statement_time`, MySQL `max_execution_time`). */
  dbStatementTimeoutMs: number;
  /** No query waits longer for a row lock (PostgreSQL `lock_timeout`, InnoDB `innodb_lock_wait_timeout`): 503, the client retries. */
  dbLockTimeoutMs: number;
  /**
   * SQLite: bytes of the file read through a memory map (`PRAGMA mmap_size`) instead of read()
   * calls into a 2 MiB page cache; 0 turns it off. A lookup on a 1M-minion file costs ~45% less.
   */
  sqliteMmapBytes: number;
  /** After SIGTERM/SIGINT, how long to wait for requests in flight before exiting anyway. */
  shutdownTimeoutMs: number;
  /**
   * Which peers may set X-Forwarded-For (the client IP in logs): `false` (none, the default),
   * `true` (any: only behind a proxy that overwrites the header), or addresses/CIDRs of the proxies.
   */
  trustProxy: boolean | string[];
  /** `tokens` (the default): every data route needs a credential. `none`: off, for development only. */
  auth: AuthMode;
  /** Accept registrations without a credential, as `anonymous` (the original heartbeat.py sends none). */
  allowAnonymousRegister: boolean;
  /** How long an instance trusts a credential lookup: a revocation takes effect within this. */
  authCacheMs: number;
  /** Failed authentication attempts per client address and minute before it is answered 429. */
  authFailureLimit: number;
  /** PEM certificate (chain) file: serve HTTPS. Needs `tlsKey`. */
  tlsCert?: string | undefined;
  /** PEM private key file of `tlsCert`. */
  tlsKey?: string | undefined;
  /** PEM CA file: require a client certificate signed by it on every connection. Needs HTTPS. */
  tlsClientCa?: string | undefined;
  /** A client certificate's CN is the master sn it may register (needs `tlsClientCa`). */
  tlsClientCnIsSn: boolean;
  /** Salt functions a job may run: globs (`test.*`, `cmd.run`); anything else is refused with 403. */
  jobFunctions: string[];
  /** A target's stored return is cut to this many bytes (`truncated: true`). */
  jobOutputLimitBytes: number;
  /** How often a followed job's jids are looked up on their masters. */
  jobPollIntervalMs: number;
  /** How long an instance holds a job it follows without renewing (another instance resumes it after). */
  jobLeaseMs: number;
  /** Per salt-api call of a job: bounds a dead master's 15 s 500 and 180 s 503 (captures 99, 131). */
  jobSaltTimeoutMs: number;
  /** eauth backend for the stored credentials (registrations do not carry one). */
  jobSaltEauth: string;
  /** Addresses/CIDRs that may read `/metrics` without a credential (a Prometheus). */
  metricsAllow: string[];
  /** A master in `timeout` or `stopped` for longer is deleted; 0 = never. */
  purgeAfterMs: number;
  /** Events older than this are deleted; 0 = never. */
  eventsRetentionMs: number;
  /** URLs that receive master.timeout/recovered/stopped/purged events as signed JSON. */
  webhooks: string[];
  /** File holding the HMAC-SHA256 key webhook deliveries are signed with (required with webhooks). */
  webhookSecretFile?: string | undefined;
  /** How long a failing delivery is retried before it is abandoned. */
  webhookRetryForMs: number;
}

export const AUTH_MODES = ['tokens', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}`;
}

/** The defaults every flag falls back to. */
export function defaultServerConfig(): ServerConfig {
  return {
    db: DEFAULT_DB,
    port: DEFAULT_SERVER_PORT,
    host: '0.0.0.0',
    masterTimeoutMs: DEFAULT_MASTER_TIMEOUT_MS,
    checkIntervalMs: DEFAULT_CHECK_INTERVAL_MS,
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
    bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
    maxMinions: DEFAULT_MAX_MINIONS,
    instanceId: defaultInstanceId(),
    logLevel: 'info',
    dbPoolSize: 10,
    dbStatementTimeoutMs: 60_000,
    dbLockTimeoutMs: 30_000,
    sqliteMmapBytes: DEFAULT_SQLITE_MMAP_BYTES,
    shutdownTimeoutMs: 30_000,
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
    purgeAfterMs: 30 * DAY_MS,
    eventsRetentionMs: 90 * DAY_MS,
    webhooks: [],
    webhookRetryForMs: DAY_MS,
  };
}

const DAY_MS = 86_400_000;

/** Defaults overridden by `overrides`; throws {@link ConfigError} listing every problem. */
export function serverConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const config = { ...defaultServerConfig(), ...withoutUndefined(overrides) };
  const errors = validateServerConfig(config);
  if (errors.length > 0) throw new ConfigError(errors);
  return config;
}

export class ConfigError extends Error {
  readonly code = 'ACT2_CONFIG';
  constructor(readonly errors: string[]) {
    super(`invalid configuration: ${errors.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Cross-field and range checks; returns every problem at once. */
export function validateServerConfig(config: ServerConfig): string[] {
  const errors: string[] = [];
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    errors.push(`--port must be 0-65535 (got ${config.port})`);
  }
  if (config.db.trim() === '') errors.push('--db must not be empty');
  else {
    try {
      parseDbTarget(config.db);
    } catch (err) {
      if (!(err instanceof DbTargetError)) throw err;
      errors.push(err.message);
    }
  }
  for (const [flag, value] of [
    ['--master-timeout', config.masterTimeoutMs],
    ['--check-interval', config.checkIntervalMs],
    ['--heartbeat-interval', config.heartbeatIntervalMs],
    ['--db-statement-timeout', config.dbStatementTimeoutMs],
    ['--db-lock-timeout', config.dbLockTimeoutMs],
    ['--shutdown-timeout', config.shutdownTimeoutMs],
    ['--job-poll-interval', config.jobPollIntervalMs],
    ['--job-lease', config.jobLeaseMs],
    ['--job-salt-timeout', config.jobSaltTimeoutMs],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) errors.push(`${flag} must be a positive duration`);
    else if (!Number.isSafeInteger(value)) errors.push(`${flag} is too long`);
  }
  // These become Node timers or PostgreSQL integer settings, both 32-bit: a longer setTimeout
  // fires at once (the sweep would run in a tight loop) and PostgreSQL refuses the value.
  for (const [flag, value] of [
    ['--check-interval', config.checkIntervalMs],
    ['--db-statement-timeout', config.dbStatementTimeoutMs],
    ['--db-lock-timeout', config.dbLockTimeoutMs],
    ['--shutdown-timeout', config.shutdownTimeoutMs],
    ['--job-poll-interval', config.jobPollIntervalMs],
    ['--job-lease', config.jobLeaseMs],
    ['--job-salt-timeout', config.jobSaltTimeoutMs],
  ] as const) {
    if (value > MAX_TIMER_MS) errors.push(`${flag} (${formatDuration(value)}) must be at most 24 days (${MAX_TIMER_MS} ms)`);
  }
  if (config.masterTimeoutMs <= config.heartbeatIntervalMs) {
    errors.push(
      `--master-timeout (${formatDuration(config.masterTimeoutMs)}) must be longer than ` +
        `--heartbeat-interval (${formatDuration(config.heartbeatIntervalMs)}), or every master would time out between heartbeats`,
    );
  }
  if (!Number.isInteger(config.bodyLimitBytes) || config.bodyLimitBytes < 1024) {
    errors.push(`--body-limit must be at least 1024 bytes (got ${config.bodyLimitBytes})`);
  }
  if (!Number.isSafeInteger(config.maxMinions) || config.maxMinions < 1) {
    errors.push(`--max-minions must be a positive whole number (got ${config.maxMinions})`);
  }
  if (config.secretKey !== undefined && config.secretKeyFile !== undefined) {
    errors.push('give either --secret-key or --secret-key-file, not both');
  }
  if (!Number.isInteger(config.dbPoolSize) || config.dbPoolSize < 2) {
    errors.push(`--db-pool-size must be an integer >= 2 (got ${config.dbPoolSize})`);
  }
  if (!Number.isSafeInteger(config.sqliteMmapBytes) || config.sqliteMmapBytes < 0) {
    errors.push(`--sqlite-mmap must be a size of 0 or more bytes (got ${config.sqliteMmapBytes})`);
  }
  if (!Number.isInteger(config.jobOutputLimitBytes) || config.jobOutputLimitBytes < 1024) {
    errors.push(`--job-output-limit must be at least 1024 bytes (got ${config.jobOutputLimitBytes})`);
  }
  if (config.jobFunctions.length === 0 || config.jobFunctions.some((g) => !/^[\w.*?[\]!-]+$/.test(g))) {
    errors.push('--job-functions must be a comma-separated list of salt function globs (cmd.run, test.*, *)');
  }
  if (config.jobLeaseMs < 3 * config.jobPollIntervalMs) {
    errors.push(`--job-lease (${formatDuration(config.jobLeaseMs)}) must be at least 3 × --job-poll-interval (${formatDuration(config.jobPollIntervalMs)})`);
  }
  if (config.jobSaltEauth.trim() === '') errors.push('--job-salt-eauth must not be empty');
  if (!LOG_LEVELS.includes(config.logLevel)) errors.push(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  if (config.instanceId.trim() === '') errors.push('--instance-id must not be empty');
  // Stored with every event, in a 255-character column on MySQL.
  if (config.instanceId.length > 255) errors.push('--instance-id must be at most 255 characters');
  if (!AUTH_MODES.includes(config.auth)) errors.push(`--auth must be one of ${AUTH_MODES.join(', ')} (got ${JSON.stringify(config.auth)})`);
  if (!Number.isInteger(config.authCacheMs) || config.authCacheMs < 0 || config.authCacheMs > 10_000) {
    errors.push('--auth-cache must be between 0 and 10s: it bounds how long a revoked token keeps working');
  }
  if (!Number.isInteger(config.authFailureLimit) || config.authFailureLimit < 1) {
    errors.push(`--auth-failure-limit must be a whole number >= 1 (got ${config.authFailureLimit})`);
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) errors.push('give --tls-cert and --tls-key together');
  if (config.tlsClientCa !== undefined && config.tlsCert === undefined) errors.push('--tls-client-ca needs --tls-cert and --tls-key (client certificates only exist over HTTPS)');
  if (config.tlsClientCnIsSn && config.tlsClientCa === undefined) errors.push('--tls-client-cn-is-sn needs --tls-client-ca');
  if (Array.isArray(config.trustProxy)) {
    const bad = config.trustProxy.filter((entry) => !isProxyAddress(entry));
    if (bad.length > 0 || config.trustProxy.length === 0) {
      errors.push(`--trust-proxy must be true, false or a comma-separated list of IP addresses or CIDRs (cannot read ${JSON.stringify(bad.join(','))})`);
    }
  }
  const badAllow = config.metricsAllow.filter((entry) => !isAddressOrCidr(entry));
  if (badAllow.length > 0) errors.push(`--metrics-allow must be comma-separated IP addresses or CIDRs (cannot read ${JSON.stringify(badAllow.join(','))})`);
  for (const [flag, value] of [
    ['--purge-after', config.purgeAfterMs],
    ['--events-retention', config.eventsRetentionMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) errors.push(`${flag} must be a duration, or 0 for never`);
  }
  if (config.purgeAfterMs > 0 && Number.isSafeInteger(config.masterTimeoutMs) && config.purgeAfterMs <= config.masterTimeoutMs) {
    errors.push(`--purge-after (${formatDuration(config.purgeAfterMs)}) must be longer than --master-timeout (${formatDuration(config.masterTimeoutMs)}), or 0 for never`);
  }
  for (const url of config.webhooks) {
    if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) errors.push(`--webhook must be an http:// or https:// URL (got ${JSON.stringify(url)})`);
  }
  if (config.webhooks.length > 0 && config.webhookSecretFile === undefined) {
    errors.push('--webhook needs --webhook-secret-file: deliveries are always signed');
  }
  if (!Number.isSafeInteger(config.webhookRetryForMs) || config.webhookRetryForMs <= 0) errors.push('--webhook-retry-for must be a positive duration');
  return errors;
}

/** Flag values as text, the way commander and the environment hand them over. */
export interface RawServerOptions {
  port?: string | undefined;
  host?: string | undefined;
  db?: string | undefined;
  masterTimeout?: string | undefined;
  checkInterval?: string | undefined;
  heartbeatInterval?: string | undefined;
  bodyLimit?: string | undefined;
  maxMinions?: string | undefined;
  secretKey?: string | undefined;
  secretKeyFile?: string | undefined;
  instanceId?: string | undefined;
  logLevel?: string | undefined;
  dbPoolSize?: string | undefined;
  dbStatementTimeout?: string | undefined;
  dbLockTimeout?: string | undefined;
  sqliteMmap?: string | undefined;
  shutdownTimeout?: string | undefined;
  trustProxy?: string | undefined;
  auth?: string | undefined;
  allowAnonymousRegister?: boolean | string | undefined;
  authCache?: string | undefined;
  authFailureLimit?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  tlsClientCa?: string | undefined;
  tlsClientCnIsSn?: boolean | string | undefined;
  jobFunctions?: string | undefined;
  jobOutputLimit?: string | undefined;
  jobPollInterval?: string | undefined;
  jobLease?: string | undefined;
  jobSaltTimeout?: string | undefined;
  jobSaltEauth?: string | undefined;
  metricsAllow?: string | undefined;
  purgeAfter?: string | undefined;
  eventsRetention?: string | undefined;
  /** Repeated flag, or one comma-separated environment variable. */
  webhook?: string[] | string | undefined;
  /** A file with one webhook URL per line (# comments). */
  webhookFile?: string | undefined;
  webhookSecretFile?: string | undefined;
  webhookRetryFor?: string | undefined;
}

export type LoadResult = { ok: true; config: ServerConfig } | { ok: false; errors: string[] };

/** Read → parse → normalise → validate; returns all errors at once instead of stopping at the first. */
export function loadServerConfig(raw: RawServerOptions, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): LoadResult {
  const errors: string[] = [];
  const config = defaultServerConfig();

  const duration = (flag: string, text: string | undefined, apply: (ms: number) => void) => {
    if (text === undefined) return;
    const ms = parseDuration(text);
    if (ms === undefined) errors.push(`${flag}: cannot read ${JSON.stringify(text)} as a duration (e.g. 90s, 30m, 2h)`);
    else apply(ms);
  };
  const integer = (flag: string, text: string | undefined, apply: (n: number) => void) => {
    if (text === undefined) return;
    if (!/^\d+$/.test(text.trim())) errors.push(`${flag}: ${JSON.stringify(text)} is not a whole number`);
    else apply(Number(text));
  };

  integer('--port', raw.port, (n) => (config.port = n));
  integer('--db-pool-size', raw.dbPoolSize, (n) => (config.dbPoolSize = n));
  integer('--max-minions', raw.maxMinions, (n) => (config.maxMinions = n));
  duration('--master-timeout', raw.masterTimeout, (ms) => (config.masterTimeoutMs = ms));
  duration('--check-interval', raw.checkInterval, (ms) => (config.checkIntervalMs = ms));
  duration('--heartbeat-interval', raw.heartbeatInterval, (ms) => (config.heartbeatIntervalMs = ms));
  duration('--db-statement-timeout', raw.dbStatementTimeout, (ms) => (config.dbStatementTimeoutMs = ms));
  duration('--db-lock-timeout', raw.dbLockTimeout, (ms) => (config.dbLockTimeoutMs = ms));
  duration('--shutdown-timeout', raw.shutdownTimeout, (ms) => (config.shutdownTimeoutMs = ms));
  if (raw.bodyLimit !== undefined) {
    const bytes = parseByteSize(raw.bodyLimit);
    if (bytes === undefined) errors.push(`--body-limit: cannot read ${JSON.stringify(raw.bodyLimit)} as a size (e.g. 16mb, 1048576)`);
    else config.bodyLimitBytes = bytes;
  }
  if (raw.trustProxy !== undefined) config.trustProxy = parseTrustProxy(raw.trustProxy);
  integer('--auth-failure-limit', raw.authFailureLimit, (n) => (config.authFailureLimit = n));
  duration('--auth-cache', raw.authCache, (ms) => (config.authCacheMs = ms));
  if (raw.auth !== undefined) config.auth = raw.auth.trim().toLowerCase() as AuthMode;
  const flag = (name: string, value: boolean | string | undefined, apply: (on: boolean) => void) => {
    if (value === undefined) return;
    if (typeof value === 'boolean') return apply(value);
    const text = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(text)) apply(true);
    else if (['0', 'false', 'no', 'off', ''].includes(text)) apply(false);
    else errors.push(`${name}: ${JSON.stringify(value)} is not a boolean (1/true/yes/on or 0/false/no/off)`);
  };
  flag('--allow-anonymous-register', raw.allowAnonymousRegister, (on) => (config.allowAnonymousRegister = on));
  flag('--tls-client-cn-is-sn', raw.tlsClientCnIsSn, (on) => (config.tlsClientCnIsSn = on));
  for (const key of ['tlsCert', 'tlsKey', 'tlsClientCa'] as const) {
    const value = raw[key]?.trim();
    if (value) config[key] = value;
  }
  duration('--job-poll-interval', raw.jobPollInterval, (ms) => (config.jobPollIntervalMs = ms));
  duration('--job-lease', raw.jobLease, (ms) => (config.jobLeaseMs = ms));
  duration('--job-salt-timeout', raw.jobSaltTimeout, (ms) => (config.jobSaltTimeoutMs = ms));
  if (raw.sqliteMmap !== undefined) {
    const bytes = parseByteSize(raw.sqliteMmap);
    if (bytes === undefined) errors.push(`--sqlite-mmap: cannot read ${JSON.stringify(raw.sqliteMmap)} as a size (e.g. 256mb, 0 to turn it off)`);
    else config.sqliteMmapBytes = bytes;
  }
  if (raw.jobOutputLimit !== undefined) {
    const bytes = parseByteSize(raw.jobOutputLimit);
    if (bytes === undefined) errors.push(`--job-output-limit: cannot read ${JSON.stringify(raw.jobOutputLimit)} as a size (e.g. 1mb, 65536)`);
    else config.jobOutputLimitBytes = bytes;
  }
  if (raw.jobFunctions !== undefined) config.jobFunctions = raw.jobFunctions.split(',').map((g) => g.trim()).filter((g) => g !== '');
  if (raw.jobSaltEauth !== undefined) config.jobSaltEauth = raw.jobSaltEauth.trim();
  duration('--purge-after', raw.purgeAfter, (ms) => (config.purgeAfterMs = ms));
  duration('--events-retention', raw.eventsRetention, (ms) => (config.eventsRetentionMs = ms));
  duration('--webhook-retry-for', raw.webhookRetryFor, (ms) => (config.webhookRetryForMs = ms));
  if (raw.metricsAllow !== undefined) config.metricsAllow = splitList(raw.metricsAllow);
  const webhooks = typeof raw.webhook === 'string' ? splitList(raw.webhook) : (raw.webhook ?? []).map((u) => u.trim());
  if (raw.webhookFile !== undefined && raw.webhookFile !== '') {
    try {
      webhooks.push(...parseWebhookFile(readFile(raw.webhookFile.trim())));
    } catch (err) {
      errors.push(`--webhook-file: cannot read ${raw.webhookFile} (${(err as Error).message})`);
    }
  }
  config.webhooks = [...new Set(webhooks.filter((u) => u !== ''))];
  if (raw.webhookSecretFile !== undefined && raw.webhookSecretFile !== '') config.webhookSecretFile = raw.webhookSecretFile.trim();
  if (raw.host !== undefined) config.host = raw.host.trim();
  if (raw.db !== undefined) config.db = raw.db.trim();
  if (raw.instanceId !== undefined) config.instanceId = raw.instanceId.trim();
  if (raw.logLevel !== undefined) config.logLevel = raw.logLevel.trim().toLowerCase() as LogLevel;
  if (raw.secretKey !== undefined && raw.secretKey !== '') config.secretKey = raw.secretKey.trim();
  if (raw.secretKeyFile !== undefined && raw.secretKeyFile !== '') config.secretKeyFile = raw.secretKeyFile.trim();

  // Range checks only make sense on values that parsed; report parse errors and range errors together.
  errors.push(...validateServerConfig(config));
  return errors.length > 0 ? { ok: false, errors: [...new Set(errors)] } : { ok: true, config };
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** `16mb`, `16MiB`, `512k`, `1048576` → bytes (binary units: a limit is about memory, not disks). */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const unit = SIZE_UNITS[match[2] ?? ''];
  if (unit === undefined) return undefined;
  return Math.floor(Number(match[1]) * unit);
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** One URL per line; blank lines and `#` comments ignored. */
export function parseWebhookFile(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}

/** `true`/`false`, or a comma-separated list of proxy addresses/CIDRs (validated by {@link validateServerConfig}). */
export function parseTrustProxy(text: string): boolean | string[] {
  const value = text.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** An IP address or a CIDR (`10.0.0.0/8`, `fd00::/8`), or one of proxy-addr's names for address ranges. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

// libpq reads a password from the query string too (`?password=`, `?sslpassword=`).
const SECRET_PARAM = /pass|secret|token/i;

/** The `--db` value safe to log: a database URL without its password, wherever it is written. */
export function describeDb(db: string): string {
  let target: DbTarget;
  try {
    target = parseDbTarget(db);
  } catch {
    return '(unsupported --db value)';
  }
  if (target.dialect === 'sqlite') return `sqlite:${target.file}`;
  try {
    const url = new URL(target.url);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) if (SECRET_PARAM.test(key)) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    return `${target.dialect}://(unparsable url)`;
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
