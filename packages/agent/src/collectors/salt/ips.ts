import { isReportableIpv4 } from '../../ips.js';
import type { MinionGrains } from './schema.js';

// Shared with the other collectors since puppet reads the same kind of interface lists.
export { interfaceMatcher, isReportableIpv4 } from '../../ips.js';

function collect(addresses: unknown, into: string[]): void {
  // An interface whose address list is not a list reads as no addresses.
  if (!Array.isArray(addresses)) return;
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
    collect(grains.ipv4, ips);
    return ips;
  }
  const interfaces = grains.ip4_interfaces;
  for (const name in interfaces) {
    if (Object.hasOwn(interfaces, name) && !excluded(name)) collect(interfaces[name], ips);
  }
  return ips;
}
