import { Command, CommanderError, Option } from 'commander';
import { VERSION } from './version.js';
import { AUTH_MODES, DEFAULT_DB, DEFAULT_MAX_MINIONS, LOG_LEVELS, loadServerConfig, type RawServerOptions, type ServerConfig } from './config.js';

export type CliResult =
  /** `secretKeyOnArgv`: the key was a flag, so anyone on the host can read it with `ps` (worth a warning). */
  | { kind: 'run'; config: ServerConfig; secretKeyOnArgv: boolean }
  /** --help / --version printed, or commander rejected the arguments. */
  | { kind: 'exit'; code: number }
  | { kind: 'invalid'; errors: string[] };

export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/** The `act2-server` command line: every flag also reads an `ACT2_*` environment variable. */
export function buildProgram(output?: CliOutput): Command {
  const program = new Command('act2-server')
    .description('Registry of salt-masters and their minions: receives act2-heartbeat registrations, serves lookups, times out silent masters.')
    .version(VERSION, '-v, --version')
    .addOption(new Option('--port <port>', 'TCP port to listen on').env('ACT2_PORT').default('6868'))
    .addOption(new Option('--host <host>', 'address to bind').env('ACT2_HOST').default('0.0.0.0'))
    .addOption(
      new Option('--db <db>', 'SQLite file path (or sqlite:<path>), or a postgres:// or mysql:// URL shared by several instances')
        .env('ACT2_DB')
        .default(DEFAULT_DB),
    )
    .addOption(
      new Option('--master-timeout <duration>', 'a master silent for longer becomes timeout (90s, 30m, 2h)')
        .env('ACT2_MASTER_TIMEOUT')
        .default('2h'),
    )
    .addOption(new Option('--check-interval <duration>', 'how often to check for timed-out masters').env('ACT2_CHECK_INTERVAL').default('60s'))
    .addOption(
      new Option('--heartbeat-interval <duration>', "the agents' heartbeat period; the timeout must be longer")
        .env('ACT2_HEARTBEAT_INTERVAL')
        .default('30m'),
    )
    .addOption(
      new Option('--body-limit <size>', 'largest request body, also after gzip decompression (16mb, 1048576)')
        .env('ACT2_BODY_LIMIT')
        .default('16mb'),
    )
    .addOption(
      new Option('--max-minions <n>', 'most minions one registration may list; more is refused with 413')
        .env('ACT2_MAX_MINIONS')
        .default(String(DEFAULT_MAX_MINIONS)),
    )
    .addOption(new Option('--secret-key <key>', 'AES-256 key for stored salt-api passwords: 64 hex digits or base64').env('ACT2_SECRET_KEY'))
    .addOption(
      new Option('--secret-key-file <file>', 'file holding the key (default with SQLite: secret.key beside the database, created 0600)').env(
        'ACT2_SECRET_KEY_FILE',
      ),
    )
    .addOption(new Option('--instance-id <id>', 'name of this instance in recorded events (default hostname:pid)').env('ACT2_INSTANCE_ID'))
    .addOption(new Option('--log-level <level>', 'log level').env('ACT2_LOG_LEVEL').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--db-pool-size <n>', 'PostgreSQL connections per instance').env('ACT2_DB_POOL_SIZE').default('10'))
    .addOption(
      new Option('--db-statement-timeout <duration>', 'PostgreSQL: longest any one query may run').env('ACT2_DB_STATEMENT_TIMEOUT').default('60s'),
    )
    .addOption(new Option('--db-lock-timeout <duration>', 'PostgreSQL: longest a query waits for a lock').env('ACT2_DB_LOCK_TIMEOUT').default('30s'))
    .addOption(new Option('--sqlite-mmap <size>', 'SQLite: how much of the file is read through a memory map (0: off)').env('ACT2_SQLITE_MMAP').default('256mb'))
    .addOption(
      new Option('--trust-proxy <proxies>', 'trust X-Forwarded-For from these proxies (comma-separated IPs/CIDRs), or true / false')
        .env('ACT2_TRUST_PROXY')
        .default('false'),
    )
    .addOption(
      new Option('--shutdown-timeout <duration>', 'on SIGTERM, how long to wait for requests in flight before exiting anyway')
        .env('ACT2_SHUTDOWN_TIMEOUT')
        .default('30s'),
    )
    .addOption(
      new Option('--auth <mode>', 'tokens: every data route needs a credential; none: OFF, for development only (warned at every start)')
        .env('ACT2_AUTH')
        .choices(AUTH_MODES)
        .default('tokens'),
    )
    .addOption(
      new Option('--allow-anonymous-register [bool]', 'accept registrations without a credential (the original heartbeat.py), recorded as anonymous').env(
        'ACT2_ALLOW_ANONYMOUS_REGISTER',
      ),
    )
    .addOption(new Option('--auth-cache <duration>', 'how often each instance checks for revocations (they take effect within this); 0: no credential cache').env('ACT2_AUTH_CACHE').default('1s'))
    .addOption(
      new Option('--auth-failure-limit <n>', 'failed authentication attempts per client address and minute before answering 429')
        .env('ACT2_AUTH_FAILURE_LIMIT')
        .default('20'),
    )
    .addOption(new Option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain)').env('ACT2_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('ACT2_TLS_KEY'))
    .addOption(new Option('--tls-client-ca <file>', 'require client certificates signed by this PEM CA').env('ACT2_TLS_CLIENT_CA'))
    .addOption(
      new Option('--tls-client-cn-is-sn [bool]', "a client certificate's CN is the master sn it may register (needs --tls-client-ca)").env(
        'ACT2_TLS_CLIENT_CN_IS_SN',
      ),
    )
    .addOption(
      new Option('--job-functions <globs>', 'salt functions a job may run, comma-separated globs (test.*,cmd.run); others get 403')
        .env('ACT2_JOB_FUNCTIONS')
        .default('*'),
    )
    .addOption(new Option('--job-output-limit <size>', "a target's stored return is cut at this size (truncated: true)").env('ACT2_JOB_OUTPUT_LIMIT').default('1mb'))
    .addOption(new Option('--job-poll-interval <duration>', "how often a job's jids are looked up on their masters").env('ACT2_JOB_POLL_INTERVAL').default('2s'))
    .addOption(
      new Option('--job-lease <duration>', 'how long an instance holds a job without renewing before another resumes it').env('ACT2_JOB_LEASE').default('60s'),
    )
    .addOption(
      new Option('--job-salt-timeout <duration>', "longest one salt-api call of a job may take (a stopped master answers 500 after 15 s)")
        .env('ACT2_JOB_SALT_TIMEOUT')
        .default('30s'),
    )
    .addOption(new Option('--job-salt-eauth <backend>', "eauth backend for the masters' stored salt-api credentials").env('ACT2_JOB_SALT_EAUTH').default('pam'))
    .addHelpText('after', ADMIN_HELP)
    .addOption(
      new Option('--metrics-allow <cidrs>', 'addresses/CIDRs that may read /metrics without a token (comma-separated)').env('ACT2_METRICS_ALLOW'),
    )
    .addOption(
      new Option('--purge-after <duration>', 'delete a master in timeout or stopped for longer than this (0 = never)')
        .env('ACT2_PURGE_AFTER')
        .default('30d'),
    )
    .addOption(new Option('--events-retention <duration>', 'delete events older than this (0 = never)').env('ACT2_EVENTS_RETENTION').default('90d'))
    .addOption(
      new Option('--webhook <url>', 'POST master.timeout/recovered/stopped/purged events here (repeatable; env: comma-separated)')
        .env('ACT2_WEBHOOK')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(new Option('--webhook-file <file>', 'file with one webhook URL per line').env('ACT2_WEBHOOK_FILE'))
    .addOption(new Option('--webhook-secret-file <file>', 'file holding the HMAC-SHA256 key that signs webhook deliveries').env('ACT2_WEBHOOK_SECRET_FILE'))
    .addOption(
      new Option('--webhook-retry-for <duration>', 'keep retrying a failing delivery this long').env('ACT2_WEBHOOK_RETRY_FOR').default('24h'),
    )
    .exitOverride();
  if (output) program.configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr });
  return program;
}

const ADMIN_HELP = `
Administration (against the same --db, also while servers run on it):
  act2-server token create --name <name> --scope <scope>... [--idc <idc>] [--expires <duration|date>]
  act2-server token list
  act2-server token revoke <id|name>
  act2-server master rebind <sn>
Run any of them with --help for details.`;

/** argv → validated config, or what to exit with. Reads ACT2_* from the environment via commander. */
export function parseCli(argv: readonly string[], output?: CliOutput): CliResult {
  const program = buildProgram(output);
  try {
    program.parse([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return { kind: 'exit', code: err.exitCode === 0 ? 0 : 2 };
    throw err;
  }
  const loaded = loadServerConfig(program.opts<RawServerOptions>());
  if (!loaded.ok) return { kind: 'invalid', errors: loaded.errors };
  return { kind: 'run', config: loaded.config, secretKeyOnArgv: program.getOptionValueSource('secretKey') === 'cli' };
}
