import { Command, Option } from 'commander';
import { ServerType } from '@act2/shared';
import { EXIT_CODES } from './errors.js';
import { DEFAULT_STATE_DIR } from './state-file.js';
import { LOG_LEVELS } from './log.js';
import { VERSION } from './version.js';

export const GRAINS_SOURCES = ['live', 'cache'] as const;
export type GrainsSource = (typeof GRAINS_SOURCES)[number];

export const EXIT_CODES_HELP = `
Exit codes:
  ${EXIT_CODES.ok}  registered; salt-api answered (master reported running)
  ${EXIT_CODES.internal}  unexpected internal error
  ${EXIT_CODES.usage}  usage or configuration error (bad flag or value, unreadable file, no collector for --srv-type)
  ${EXIT_CODES.serverUnreachable}  act2-server unreachable or answering 5xx until --deadline
  ${EXIT_CODES.serverRejected}  act2-server rejected the registration (4xx), or answered 2xx with something that
     is not act2-server's reply (e.g. an HTML page: wrong --act2-server URL); also a master bound
     to a key this host lost (an admin must run: act2-server master rebind SN)
  ${EXIT_CODES.saltUnavailable}  registered, but salt-api was unavailable (master reported stopped)
  --dry-run exits 0 or ${EXIT_CODES.saltUnavailable} like a real run.

Every option can also be set from the environment variable shown beside it; a flag on the
command line wins. Boolean variables take 1/true/yes/on or 0/false/no/off.
Durations take 90s, 2m, 1h30m, 500ms or plain seconds.`;

/**
 * Commander's `.choices()` throws on the first bad value; validation happens in config.ts
 * instead so that every error is reported at once. This keeps the choices in `--help` only.
 */
function withChoices(option: Option, values: readonly string[]): Option {
  return option.choices(values).argParser((value: string) => value);
}

/** The command line of act2-heartbeat: heartbeat.py's flags plus the extras the port needs. */
export function createProgram(): Command {
  const program = new Command('act2-heartbeat')
    .description('Reports this salt-master and its minions to act2-server. Run it from cron (every 30 minutes).')
    .version(VERSION, '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .allowExcessArguments(false)
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);

  const options: Option[] = [
    new Option('-d, --debug [bool]', 'debug logging: level debug plus every salt-api call and request timings').env('ACT2_DEBUG'),
    withChoices(new Option('--log-level <level>', 'log level'), LOG_LEVELS).default('info').env('ACT2_LOG_LEVEL'),
    new Option('--log-file <path>', 'append JSON log lines to this file (default: stdout; stderr with --dry-run)').env('ACT2_LOG_FILE'),
    new Option('--salt-server <url>', 'salt-api (rest_cherrypy) URL').default('http://localhost:8001').env('ACT2_SALT_SERVER'),
    new Option('--salt-user <name>', 'salt-api user').default('salt-api').env('ACT2_SALT_USER'),
    new Option('--salt-password <password>', 'salt-api password (visible in ps: prefer the file or the variable)').env('ACT2_SALT_PASSWORD'),
    new Option('--salt-password-file <path>', 'read the salt-api password from this file').env('ACT2_SALT_PASSWORD_FILE'),
    new Option('--salt-eauth <backend>', 'salt-api eauth backend').default('pam').env('ACT2_SALT_EAUTH'),
    new Option('--salt-ca-file <path>', 'CA certificate (PEM) that signed the salt-api certificate').env('ACT2_SALT_CA_FILE'),
    new Option('--salt-insecure', "do not verify salt-api's TLS certificate (its usual self-signed one)").env('ACT2_SALT_INSECURE'),
    new Option('--act2-server <url>', 'act2-server URL, e.g. http://192.168.1.9:6868 (required unless --dry-run)').env('ACT2_SERVER'),
    new Option('--act2-ca-file <path>', 'CA certificate (PEM) that signed the act2-server certificate').env('ACT2_CA_FILE'),
    new Option('--act2-insecure', "do not verify act2-server's TLS certificate").env('ACT2_INSECURE'),
    new Option('--act2-cert-file <path>', 'client certificate (PEM) for an act2-server that requires one').env('ACT2_CERT_FILE'),
    new Option('--act2-key-file <path>', 'private key (PEM) of --act2-cert-file').env('ACT2_KEY_FILE'),
    new Option('--act2-token-file <path>', 'file holding the act2-server API token (scope register); ACT2_TOKEN also works, never a flag').env('ACT2_TOKEN_FILE'),
    new Option('--state-dir <dir>', 'where the master key act2-server issues on enrollment is kept (file mode 0600)').default(DEFAULT_STATE_DIR).env('ACT2_STATE_DIR'),
    withChoices(new Option('--srv-type <type>', 'service type'), ServerType.options).default('salt').env('ACT2_SRV_TYPE'),
    new Option('--idc <name>', 'IDC (data centre) of this master (required unless --dry-run)').env('ACT2_IDC'),
    new Option('--master-sn <sn>', 'master serial (default: /sys/class/dmi/id/product_uuid, else /etc/machine-id, else the hostname)').env('ACT2_MASTER_SN'),
    new Option('--advertise-server <url>', 'salt-api URL act2 should use, sent instead of --salt-server (when salt-api listens on localhost)').env('ACT2_ADVERTISE_SERVER'),
    new Option('--timeout <duration>', 'timeout of each salt-api and act2-server request').default('60s').env('ACT2_TIMEOUT'),
    new Option('--ping-timeout <duration>', "manage.status's wait for minions to answer the ping (salt's timeout)").default('5s').env('ACT2_PING_TIMEOUT'),
    new Option('--gather-job-timeout <duration>', "manage.status's extra wait for slow minions (salt's gather_job_timeout)").default('10s').env('ACT2_GATHER_JOB_TIMEOUT'),
    new Option('--deadline <duration>', 'total time for delivering the registration to act2-server, retries included').default('2m').env('ACT2_DEADLINE'),
    new Option('--splay <duration>', "sleep a random time up to this before starting, to spread a fleet's cron runs").default('0').env('ACT2_SPLAY'),
    new Option('--interval <duration>', "this agent's heartbeat period (the cron schedule), sent as interval_s").default('30m').env('ACT2_INTERVAL'),
    new Option('--no-send-credentials', 'do not send the salt-api user and password to act2-server').env('ACT2_NO_SEND_CREDENTIALS'),
    new Option('--no-gzip', 'never gzip the registration (by default bodies from 64 KiB on are gzipped)').env('ACT2_NO_GZIP'),
    new Option('--dry-run', 'collect and print the payload as one JSON line on stdout; send nothing').env('ACT2_DRY_RUN'),
    new Option('--minion-sn-grain <grain>', 'grain used as minion sn (falls back to the minion id when empty or a placeholder)').env('ACT2_MINION_SN_GRAIN'),
    new Option('--exclude-interfaces <globs>', 'comma-separated interface globs whose IPs are not reported (lo always is)').default('docker0,virbr*,veth*').env('ACT2_EXCLUDE_INTERFACES'),
    withChoices(new Option('--grains-source <source>', 'live: grains.item on up minions + cache for down ones; cache: the master grains cache only'), GRAINS_SOURCES).default('live').env('ACT2_GRAINS_SOURCE'),
  ];
  for (const option of options) program.addOption(option);
  return program;
}
