import { readFile } from 'node:fs/promises';
import { AgentError, toAgentError } from '../../errors.js';
import type { CollectContext, CollectedMinion, CollectResult, Collector, ConfiguredCollector } from '../collector.js';
import { opensshOptions, parseOpensshSettings } from './config.js';
import type { OpensshSettings } from './config.js';
import { mapBounded, probeSsh } from './probe.js';
import type { ProbeOptions } from './probe.js';
import { bareHost, parseRoster } from './roster.js';
import type { RosterTarget } from './roster.js';

export interface OpensshDeps {
  readRoster?: (path: string) => Promise<string>;
  resolve?: ProbeOptions['resolve'];
}

async function readRosterFile(path: string, read: (path: string) => Promise<string>): Promise<string> {
  try {
    return await read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AgentError('ACT2_ROSTER_UNREADABLE', `cannot read roster ${path} (${code})`);
  }
}

/** The user act2 logs in as, when the roster names exactly one for all of its targets. */
function commonUser(targets: RosterTarget[]): string | undefined {
  const users = new Set(targets.map((t) => t.user));
  const [only] = users;
  return users.size === 1 ? only : undefined;
}

async function collectOrThrow(ctx: CollectContext, settings: OpensshSettings, deps: OpensshDeps): Promise<CollectResult> {
  const { log, now } = ctx;
  const text = await readRosterFile(settings.roster, deps.readRoster ?? ((path) => readFile(path, 'utf8')));
  const { targets, warnings } = parseRoster(text, settings.roster);
  for (const warning of warnings) log.warn({ roster: settings.roster, detail: warning }, 'roster entry skipped');
  const started = now();
  const probeOptions: ProbeOptions = { timeoutMs: settings.probeTimeoutMs, ...(deps.resolve ? { resolve: deps.resolve } : {}) };
  const probes = await mapBounded(targets, settings.probeConcurrency, (t) => probeSsh(bareHost(t.host), t.port, probeOptions));
  const minions: CollectedMinion[] = targets.map((target, index) => {
    const probe = probes[index];
    if (probe && !probe.up) log.debug({ id: target.id, host: target.host, port: target.port, reason: probe.reason }, 'ssh probe failed');
    return { id: target.id, sn: target.id, status: probe?.up ? 'running' : 'stopped', ips: probe?.ips ?? [] };
  });
  const up = minions.filter((m) => m.status === 'running').length;
  const reasons: Record<string, number> = {};
  for (const probe of probes) if (!probe.up) reasons[probe.reason ?? 'unknown'] = (reasons[probe.reason ?? 'unknown'] ?? 0) + 1;
  log.info({ roster: settings.roster, hosts: targets.length, up, down: targets.length - up, reasons, ms: now() - started }, 'ssh probes done');
  const user = commonUser(targets);
  // act2 logs in with the proxy's keys: the roster names the user, never a password to forward.
  return { status: 'running', minions, warnings, ...(user === undefined ? {} : { masterOptions: { username: user, password: '' } }) };
}

/** The openssh collector bound to its settings; tests inject the roster reader and the resolver. */
export function configureOpenssh(settings: OpensshSettings, deps: OpensshDeps = {}): ConfiguredCollector {
  return {
    settings: settings,
    type: 'openssh',
    summary: { roster: settings.roster, probe_timeout_ms: settings.probeTimeoutMs, probe_concurrency: settings.probeConcurrency, advertise_server: settings.server },
    master: { server: settings.server },
    async collect(ctx) {
      const log = ctx.log.child({ collector: 'openssh' });
      try {
        return await collectOrThrow(ctx, settings, deps);
      } catch (error) {
        const err = toAgentError(error, 'ACT2_COLLECTOR_FAILED');
        log.error({ code: err.code, reason: err.message }, 'roster unavailable');
        return { status: 'stopped', minions: [], error: err.message, code: err.code, warnings: [] };
      }
    },
  };
}

/**
 * An SSH jump host: the machines of a salt-ssh roster, each `running` when its SSH port answers
 * with an SSH identification line. Probes run concurrently, bounded by --probe-concurrency.
 */
export const opensshCollector: Collector = {
  type: 'openssh',
  title: 'openssh (--srv-type openssh): an SSH proxy and the hosts of its salt-ssh roster',
  options: opensshOptions,
  configure(input) {
    const { settings, warnings } = parseOpensshSettings(input);
    return { collector: configureOpenssh(settings), warnings };
  },
};
