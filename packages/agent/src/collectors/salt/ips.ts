import { z } from 'zod';
import type { MinionGrains } from './schema.js';

// The same check as the wire contract's IpAddress, so the server never rejects what we send.
const Ipv4 = z.ipv4();

/**
 * An address worth reporting: a valid dotted IPv4 that is not loopback (127.0.0.0/8), link-local
 * (169.254.0.0/16) or 0.0.0.0. heartbeat.py's `ip not in ('127.0.0.1')` was a substring test that
 * also dropped 27.0.0.1 or 7.0.0.1; this compares whole octets.
 */
export function isReportableIpv4(value: unknown): value is string {
  if (typeof value !== 'string' || !Ipv4.safeParse(value).success) return false;
  const [a, b] = value.split('.').map(Number);
  if (a === 127 || value === '0.0.0.0') return false;
  return !(a === 169 && b === 254);
}

/** Compiles interface globs (`virbr*`, `veth?`) into one anchored regular expression. */
export function interfaceMatcher(globs: readonly string[]): (name: string) => boolean {
  const patterns = ['lo', ...globs].map((glob) =>
    glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'),
  );
  const regex = new RegExp(`^(?:${patterns.join('|')})$`);
  return (name) => regex.test(name);
}

function collect(addresses: Iterable<unknown>, into: string[]): void {
  for (const address of addresses) {
    if (isReportableIpv4(address) && !into.includes(address)) into.push(address);
  }
}

/**
 * The minion's IPs: from `ip4_interfaces` minus excluded interfaces (and lo). The `ipv4` grain
 * (same address filters) is read only when `ip4_interfaces` is missing (the schema turns a
 * non-object into missing): it names no interfaces, so once `ip4_interfaces` says every address
 * sits on lo or a bridge, `ipv4` would only report those same bridge addresses. Order kept,
 * duplicates dropped.
 */
export function minionIps(grains: Pick<MinionGrains, 'ip4_interfaces' | 'ipv4'>, excluded: (name: string) => boolean): string[] {
  const ips: string[] = [];
  if (grains.ip4_interfaces === undefined) {
    collect(grains.ipv4 ?? [], ips);
    return ips;
  }
  for (const [name, addresses] of Object.entries(grains.ip4_interfaces)) {
    if (!excluded(name)) collect(addresses, ips);
  }
  return ips;
}
