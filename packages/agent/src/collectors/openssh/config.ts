import { Option } from 'commander';
import type { CollectorConfigInput } from '../collector.js';

/** The openssh collector's settings: which roster, and how hosts are probed. */
export interface OpensshSettings {
  roster: string;
  probeTimeoutMs: number;
  probeConcurrency: number;
  /** master.server: the SSH proxy's URL act2 uses (--advertise-server). */
  server: string;
}

export function opensshOptions(): Option[] {
  return [
    new Option('--roster <path>', "salt-ssh roster (YAML: id: {host, port, user}) listing the hosts this proxy reaches").default('/etc/salt/roster').env('ACT2_ROSTER'),
    new Option('--probe-timeout <duration>', 'a host is running when its SSH port answers with an SSH-2.0 identification line within this').default('3s').env('ACT2_PROBE_TIMEOUT'),
    new Option('--probe-concurrency <n>', 'at most this many SSH probes at once').default('64').env('ACT2_PROBE_CONCURRENCY'),
  ];
}

export function parseOpensshSettings({ raw, v, core }: CollectorConfigInput): { settings: OpensshSettings; warnings: string[] } {
  const roster = v.text('roster', '--roster', 4096) ?? '';
  const probeTimeoutMs = v.duration('probeTimeout', '--probe-timeout', 100);
  const text = typeof raw.probeConcurrency === 'string' ? raw.probeConcurrency.trim() : '';
  const probeConcurrency = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(probeConcurrency >= 1 && probeConcurrency <= 4096)) v.errors.push(`--probe-concurrency: "${text}" is not a number from 1 to 4096`);
  // Nothing else names the proxy: the roster's hosts are the minions, not the master.
  if (core.advertiseServer === undefined) {
    v.errors.push('--advertise-server is required with --srv-type openssh: the URL act2 uses to reach this SSH proxy (sent as master.server)');
  }
  return { settings: { roster, probeTimeoutMs, probeConcurrency, server: core.advertiseServer ?? '' }, warnings: [] };
}
