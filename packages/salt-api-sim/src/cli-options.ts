/** `salt-api-sim` flags → simulator options (kept apart from cli.ts so it can be tested). */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SimError } from './errors.js';
import { generateMinions } from './generate.js';
import { jobsPreset } from './presets/jobs.js';
import { oraclePreset } from './presets/oracle.js';
import type { SaltApiSimOptions } from './server.js';
import { ALL_CLIENTS, CAPTURED_ENABLED_CLIENTS, EAUTH_BACKENDS, type Eauth, type SimUser } from './types.js';

export interface CliOptions {
  port: number;
  host: string;
  minions: number;
  down: number;
  downIds?: string[];
  seed: string;
  prefix: string;
  user: string[];
  eauth: string;
  timeScale: number;
  pingLatency: number;
  /** `true` (bare flag): every client; a comma-separated list: only those. */
  clientsDisabled?: boolean | string;
  masterDown?: 'hang' | 'no-ipc';
  tlsKey?: string;
  tlsCert?: string;
  preset?: 'oracle' | 'jobs';
  masterId?: string;
  /** `id=seconds` pairs: simulated seconds before that minion's job returns arrive (`inf`: never). */
  latency: string[];
  maxEventSize?: number;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

function integer(value: string): number {
  const n = nonNegative(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(version: string): Command {
  return new Command('salt-api-sim')
    .description('A salt-api (rest_cherrypy, salt 3006) simulator for demos, tests and benchmarks')
    .version(version)
    .option('--port <port>', 'port to listen on', integer, 8001)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--minions <n>', 'number of generated minions', integer, 40)
    .option('--down <n>', 'how many of them are down (picked from the seed)', integer, 0)
    .option('--down-ids <ids>', 'comma-separated minion ids that are down', (v: string) => v.split(',').filter(Boolean))
    .option('--seed <seed>', 'fleet seed: same seed, same minions and grains', 'act2')
    .option('--prefix <prefix>', 'minion id prefix', 'minion-')
    .option('--user <name:password>', 'an eauth user with full permissions (repeatable; without any, the one user is salt-api:salt-api)', collect, [])
    .option('--eauth <list>', 'eauth backends accepted for --user', 'pam,file,auto')
    .option('--time-scale <factor>', 'multiplies every simulated salt delay (1 = real salt)', nonNegative, 1)
    .option('--ping-latency <ms>', 'extra milliseconds of an all-up ping or local call', nonNegative, 0)
    .option(
      '--clients-disabled [clients]',
      "bare: netapi_enable_clients: [] (salt 3006's default: every call gets 400); with a comma-separated list (e.g. runner): only those are disabled",
    )
    .addOption(
      new Option('--master-down <mode>', 'start with the salt-master down: hang (login and runner calls hang 180 s × --time-scale, then 503) or no-ipc (503 at once)').choices([
        'hang',
        'no-ipc',
      ]),
    )
    .option('--tls-key <file>', 'PEM private key: serve HTTPS')
    .option('--tls-cert <file>', 'PEM certificate for --tls-key')
    .addOption(new Option('--preset <name>', 'reproduce a captured installation (oracle: captures 01–79, jobs: 80–131)').choices(['oracle', 'jobs']))
    .option('--master-id <id>', 'the master id (runner jobs target <id>_master)')
    .option('--latency <id=seconds>', "a minion's job returns arrive this many simulated seconds after the publish; inf: never (repeatable)", collect, [])
    .option('--max-event-size <bytes>', "salt's max_event_size: bigger returns come back as VALUE_TRIMMED", integer);
}

function parseUsers(specs: string[], eauthList: string): SimUser[] {
  const eauth = eauthList.split(',').filter(Boolean);
  const unknown = eauth.filter((e) => !(EAUTH_BACKENDS as readonly string[]).includes(e));
  if (unknown.length > 0) throw new SimError('ACT2_SIM_BAD_OPTION', `unknown eauth backend(s): ${unknown.join(', ')}`);
  return specs.map((spec) => {
    const at = spec.indexOf(':');
    if (at <= 0) throw new SimError('ACT2_SIM_BAD_OPTION', `--user expects name:password, got "${spec}"`);
    return { name: spec.slice(0, at), password: spec.slice(at + 1), eauth: eauth as Eauth[], perms: ['.*', '@runner', '@wheel', '@jobs'] };
  });
}

/** `netapi_enable_clients` left by --clients-disabled: none for the bare flag, else the captured list minus the named ones. */
function enabledClients(disabled: boolean | string): string[] {
  if (disabled === true) return [];
  const names = String(disabled).split(',').map((c) => c.trim()).filter(Boolean);
  const unknown = names.filter((c) => !(ALL_CLIENTS as readonly string[]).includes(c));
  if (unknown.length > 0) throw new SimError('ACT2_SIM_BAD_OPTION', `--clients-disabled: unknown client(s): ${unknown.join(', ')} (known: ${ALL_CLIENTS.join(', ')})`);
  return CAPTURED_ENABLED_CLIENTS.filter((c) => !names.includes(c));
}

export function simOptionsFrom(o: CliOptions): SaltApiSimOptions {
  if (Boolean(o.tlsKey) !== Boolean(o.tlsCert)) throw new SimError('ACT2_SIM_BAD_OPTION', '--tls-key and --tls-cert go together');
  const base: SaltApiSimOptions =
    o.preset === 'oracle'
      ? oraclePreset()
      : o.preset === 'jobs'
        ? jobsPreset()
        : { minions: generateMinions({ count: o.minions, down: o.down, downIds: o.downIds, seed: o.seed, prefix: o.prefix }) };
  const latencies = new Map(
    (o.latency ?? []).map((spec) => {
      const [id = '', value = ''] = spec.split('=');
      const seconds = value === 'inf' ? Number.POSITIVE_INFINITY : /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
      if (id === '' || Number.isNaN(seconds)) throw new SimError('ACT2_SIM_BAD_OPTION', `--latency expects id=seconds or id=inf, got "${spec}"`);
      return [id, seconds] as const;
    }),
  );
  const unknownLatency = [...latencies.keys()].filter((id) => !base.minions?.some((m) => m.id === id));
  if (unknownLatency.length > 0) throw new SimError('ACT2_SIM_UNKNOWN_MINION', `--latency for minions not in the fleet: ${unknownLatency.join(', ')}`);
  if (latencies.size > 0) base.minions = base.minions?.map((m) => (latencies.has(m.id) ? { ...m, latencyS: latencies.get(m.id) } : m));
  if (o.preset === 'oracle' && o.downIds) {
    const unknown = o.downIds.filter((id) => !base.minions?.some((m) => m.id === id));
    if (unknown.length > 0) throw new SimError('ACT2_SIM_UNKNOWN_MINION', `downIds not in the fleet: ${unknown.join(', ')}`);
    base.minions = base.minions?.map((m) => ({ ...m, up: !o.downIds?.includes(m.id) }));
  }
  const users = parseUsers(o.user, o.eauth);
  return {
    ...base,
    ...(users.length > 0 ? { users: o.preset === 'oracle' ? [...(base.users ?? []), ...users] : users } : {}),
    ...(o.masterId ? { masterId: o.masterId } : {}),
    ...(o.clientsDisabled === undefined || o.clientsDisabled === false ? {} : { clientsEnabled: enabledClients(o.clientsDisabled) }),
    ...(o.masterDown ? { masterDown: o.masterDown } : {}),
    ...(o.tlsKey && o.tlsCert ? { tls: { key: readFileSync(o.tlsKey), cert: readFileSync(o.tlsCert) } } : {}),
    ...(o.maxEventSize !== undefined ? { maxEventSize: o.maxEventSize } : {}),
    timeScale: o.timeScale,
    pingLatencyMs: o.pingLatency,
  };
}
