/**
 * Network grains shaped like a real minion's: `ip4_interfaces` keyed in `ip addr` order (lo, the NICs,
 * bridges, veths), loopback and bridge addresses included, `ipv4` numerically sorted, sometimes a
 * secondary address or a 169.254 link-local one; addresses unique across the fleet.
 */
import type { Rng } from './prng.js';
import type { Platform } from './grains-hardware.js';
import type { Grains } from './types.js';

export interface NetworkPlan {
  /** Second octet of the 10.x networks (per seed, so fleets with different seeds do not overlap). */
  net: number;
  /** 0-based position in the fleet: makes the primary address unique. */
  index: number;
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function sortIps(ips: string[]): string[] {
  return [...new Set(ips)].sort((a, b) => ipToNumber(a) - ipToNumber(b));
}

function hostPart(index: number): [number, number] {
  return [Math.floor(index / 250) % 256, (index % 250) + 2];
}

function mac(rng: Rng, prefix: string): string {
  const rest = Array.from({ length: 3 }, () => rng.int(0, 255).toString(16).padStart(2, '0'));
  return `${prefix}:${rest.join(':')}`;
}

function linkLocal6(rng: Rng, groups: number): string {
  return `fe80::${Array.from({ length: groups }, () => rng.int(1, 0xffff).toString(16)).join(':')}`;
}

function nicNames(platform: Platform, rng: Rng): string[] {
  if (platform === 'vmware') return ['ens192', 'ens224', 'ens256'];
  if (platform === 'physical') return rng.chance(0.4) ? ['bond0', 'bond1', 'eno3'] : ['eno1', 'eno2', 'eno3'];
  return rng.chance(0.5) ? ['eth0', 'eth1', 'eth2'] : ['ens3', 'ens4', 'ens5'];
}

export interface NetworkGrains {
  hwaddr: Grains;
  ip4: Record<string, string[]>;
  ip6: Record<string, string[]>;
  ipv4: string[];
  ipv6: string[];
  primary: string;
  gateway: string;
}

export function networkGrains(rng: Rng, platform: Platform, plan: NetworkPlan): NetworkGrains {
  const [b, c] = hostPart(plan.index);
  const netOf = (k: number) => (plan.net + k + Math.floor(plan.index / 64_000)) % 256;
  const primary = `10.${netOf(0)}.${b}.${c}`;
  const names = nicNames(platform, rng);
  const nicCount = rng.chance(0.6) ? 1 : rng.chance(0.75) ? 2 : 3;
  const vendorMac = platform === 'vmware' ? '00:50:56' : platform === 'physical' ? 'b4:96:91' : '52:54:00';

  const hwaddr: Grains = { lo: '00:00:00:00:00:00' };
  const ip4: Record<string, string[]> = { lo: ['127.0.0.1'] };
  const ip6: Record<string, string[]> = { lo: ['::1'] };
  const bonded = names[0] === 'bond0';
  if (bonded) {
    // Bond slaves carry no address of their own.
    for (const slave of ['eno1', 'eno2']) {
      hwaddr[slave] = mac(rng, vendorMac);
      ip4[slave] = [];
      ip6[slave] = [];
    }
  }
  for (let k = 0; k < nicCount; k++) {
    const name = names[k] ?? `eth${k}`;
    hwaddr[name] = mac(rng, vendorMac);
    ip4[name] = [k === 0 ? primary : `10.${netOf(k)}.${b}.${c}`];
    ip6[name] = [linkLocal6(rng, 4)];
  }
  const firstNic = names[0] ?? 'eth0';
  if (rng.chance(0.1)) ip4[firstNic]?.push(`10.${netOf(3)}.${b}.${c}`);
  if (rng.chance(0.05)) ip4[names[nicCount - 1] ?? firstNic]?.push(`169.254.${rng.int(1, 254)}.${rng.int(1, 254)}`);

  if (platform !== 'container' && rng.chance(0.5)) {
    hwaddr.docker0 = mac(rng, '02:42:ac');
    ip4.docker0 = ['172.17.0.1'];
    ip6.docker0 = [];
    const veths = rng.int(0, 3);
    for (let v = 0; v < veths; v++) {
      const name = `veth${rng.hex(7)}`;
      hwaddr[name] = mac(rng, 'a6:3e:1f');
      ip4[name] = [];
      ip6[name] = [linkLocal6(rng, 4)];
    }
  }
  if (platform === 'physical' && rng.chance(0.2)) {
    hwaddr.virbr0 = mac(rng, '52:54:00');
    ip4.virbr0 = ['192.168.122.1'];
    ip6.virbr0 = [];
  }
  return {
    hwaddr,
    ip4,
    ip6,
    ipv4: sortIps(Object.values(ip4).flat()),
    ipv6: [...new Set(Object.values(ip6).flat())].sort(),
    primary,
    gateway: `10.${netOf(0)}.${b}.1`,
  };
}
