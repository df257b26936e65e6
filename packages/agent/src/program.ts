import { Command, Option } from 'commander';
import { ServerType } from '@act2/shared';
import type { Collector } from './collectors/collector.js';
import { withChoices } from './config-values.js';
import { EXIT_CODES } from './errors.js';
import { LOG_LEVELS } from './log.js';
import { DEFAULT_STATE_DIR } from './state-file.js';
import { VERSION } from './version.js';

export const EXIT_CODES_HELP = `
Exit codes:
  ${EXIT_CODES.ok}  registered; the collector's service answered (master reported running)
  ${EXIT_CODES.internal}  unexpected internal error
  ${EXIT_CODES.usage}  usage or configuration error (bad flag or value, unreadable file)
  ${EXIT_CODES.serverUnreachable}  act2-server unreachable or answering 5xx until --deadline
  ${EXIT_CODES.serverRejected}  act2-server rejected the registration (4xx, or the original act2's {"status":"error"}),
     or answered 2xx with something that is not a registration result (e.g. an HTML page: wrong --act2-server URL);
     also a master bound to a key this host lost (an admin must run: act2-server master rebind SN)
  ${EXIT_CODES.saltUnavailable}  registered, but salt-api / PuppetDB / the roster was unavailable (master reported stopped)
  --dry-run exits 0 or ${EXIT_CODES.saltUnavailable} like a real run.

Every option can also be set from the environment variable shown beside it; a flag on the
command line wins. Boolean variables take 1/true/yes/on or 0/false/no/off.
Durations take 90s, 2m, 1h30m, 500ms or plain seconds.`;

/** The flags every kind of master shares (heartbeat.py's general ones plus the port's extras). */
function coreOptions(): Option[] {
  return [
    new Option('-d, --debug [bool]', 'debug logging: level debug plus every service call and request timings').env('ACT2_DEBUG'),
    withChoices(new Option('--log-level <level>', 'log level'), LOG_LEVELS).default('info').env('ACT2_LOG_LEVEL'),
    new Option('--log-file <path>', 'append JSON log lines to this file (default: stdout; stderr with --dry-run)').env('ACT2_LOG_FILE'),
    new Option('--act2-server <url>', 'act2-server URL, e.g. http://192.168.1.9:6868 (the original act2: http://act2:port/api/v1); required unless --dry-run').env('ACT2_SERVER'),
    new Option('--act2-ca-file <path>', 'CA certificate (PEM) that signed the act2-server certificate').env('ACT2_CA_FILE'),
    new Option('--act2-insecure', "do not verify act2-server's TLS certificate").env('ACT2_INSECURE'),
    new Option('--act2-cert-file <path>', 'client certificate (PEM) for an act2-server that requires one').env('ACT2_CERT_FILE'),
    new Option('--act2-key-file <path>', 'private key (PEM) of --act2-cert-file').env('ACT2_KEY_FILE'),
    new Option('--act2-token-file <path>', 'file holding the act2-server API token (scope register); ACT2_TOKEN also works, never a flag').env('ACT2_TOKEN_FILE'),
    new Option('--state-dir <dir>', 'where the master key act2-server issues on enrollment is kept (file mode 0600)').default(DEFAULT_STATE_DIR).env('ACT2_STATE_DIR'),
    withChoices(new Option('--srv-type <type>', 'kind of master: which collector runs (its flags are listed below)'), ServerType.options).default('salt').env('ACT2_SRV_TYPE'),
    new Option('--idc <name>', 'IDC (data centre) of this master (required unless --dry-run)').env('ACT2_IDC'),
    new Option('--master-sn <sn>', 'master serial (default: /sys/class/dmi/id/product_uuid, else /etc/machine-id, else the hostname)').env('ACT2_MASTER_SN'),
    new Option('--advertise-server <url>', "URL act2 should use for this master, sent as master.server instead of the collector's own (salt-api, PuppetDB) URL").env('ACT2_ADVERTISE_SERVER'),
    new Option('--timeout <duration>', "timeout of each request to the collector's service and to act2-server").default('60s').env('ACT2_TIMEOUT'),
    new Option('--deadline <duration>', 'total time for delivering the registration to act2-server, retries included').default('2m').env('ACT2_DEADLINE'),
    new Option('--splay <duration>', "sleep a random time up to this before starting, to spread a fleet's cron runs").default('0').env('ACT2_SPLAY'),
    new Option('--interval <duration>', "this agent's heartbeat period (the cron schedule), sent as interval_s").default('30m').env('ACT2_INTERVAL'),
    new Option('--no-gzip', 'never gzip the registration (by default bodies from 64 KiB on are gzipped)').env('ACT2_NO_GZIP'),
    new Option('--dry-run', 'collect and print the payload as one JSON line on stdout; send nothing').env('ACT2_DRY_RUN'),
    new Option('--exclude-interfaces <globs>', 'comma-separated interface globs whose IPs are not reported (lo always is)').default('docker0,virbr*,veth*').env('ACT2_EXCLUDE_INTERFACES'),
  ];
}

/** The command line of act2-heartbeat: the shared flags, then each collector's under its own heading. */
export function createProgram(collectors: readonly Collector[]): Command {
  const program = new Command('act2-heartbeat')
    .description('Reports this master (salt, Puppet or SSH proxy) and the machines it manages to act2-server. Run it from cron (every 30 minutes).')
    .version(VERSION, '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .allowExcessArguments(false)
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);
  for (const option of coreOptions()) program.addOption(option);
  for (const collector of collectors) {
    for (const option of collector.options()) program.addOption(option.helpGroup(`${collector.title}:`));
  }
  return program;
}

/** The option keys (commander attribute names) a collector owns. */
export function optionKeys(collector: Collector): string[] {
  return collector.options().map((option) => option.attributeName());
}
