import { describe, expect, it } from 'vitest';
import { generateMinions } from './generate.js';
import { pyJsonBuffer } from './py-json.js';

type Ifaces = Record<string, string[]>;

const ipNum = (ip: string) => ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);

describe('generateMinions', () => {
  it('is deterministic: same seed, same fleet; another seed, other grains', () => {
    const a = generateMinions({ count: 50, seed: 'dc1', down: 5 });
    const b = generateMinions({ count: 50, seed: 'dc1', down: 5 });
    const c = generateMinions({ count: 50, seed: 'dc2', down: 5 });

    expect(b).toEqual(a);
    expect(c.map((m) => m.grains)).not.toEqual(a.map((m) => m.grains));
  });

  it("gives minion N the same hardware and network whatever the fleet's size (ids are padded to it)", () => {
    const small = generateMinions({ count: 40, seed: 's' });
    const big = generateMinions({ count: 2000, seed: 's' });
    const named = new Set(['id', 'host', 'fqdn', 'localhost', 'nodename', 'server_id']);
    const strip = (g: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(g ?? {}).filter(([k]) => !named.has(k)));

    expect(small[7]?.id).toBe('minion-008');
    expect(big[7]?.id).toBe('minion-0008');
    expect(strip(big[7]?.grains)).toEqual(strip(small[7]?.grains));
  });

  it('pads ids and marks the requested minions down', () => {
    const fleet = generateMinions({ count: 120, prefix: 'web-', down: 3, downIds: ['web-007'], seed: 1 });

    expect(fleet[0]?.id).toBe('web-001');
    expect(fleet.at(-1)?.id).toBe('web-120');
    expect(fleet.filter((m) => !m.up)).toHaveLength(4);
    expect(fleet.find((m) => m.id === 'web-007')?.up).toBe(false);
  });

  it('shapes network grains like salt: lo first, 127.0.0.1 in ipv4, numeric sort, unique 10.x', () => {
    const fleet = generateMinions({ count: 2000, seed: 'net' });
    const seen = new Set<string>();

    for (const m of fleet) {
      const ifaces = m.grains.ip4_interfaces as Ifaces;
      const ipv4 = m.grains.ipv4 as string[];
      expect(Object.keys(ifaces)[0]).toBe('lo');
      expect(ifaces.lo).toEqual(['127.0.0.1']);
      expect(ipv4).toContain('127.0.0.1');
      expect([...ipv4].sort((x, y) => ipNum(x) - ipNum(y))).toEqual(ipv4);
      expect(new Set(ipv4)).toEqual(new Set(Object.values(ifaces).flat()));
      for (const ip of Object.values(ifaces).flat().filter((x) => x.startsWith('10.'))) {
        expect(seen.has(ip)).toBe(false);
        seen.add(ip);
      }
    }
  });

  it('produces every variant the agent has to cope with', () => {
    const fleet = generateMinions({ count: 1000, seed: 'variants' });
    const grains = fleet.map((m) => m.grains);
    const serials = grains.map((g) => g.serialnumber);
    const ifaces = grains.map((g) => g.ip4_interfaces as Ifaces);

    expect(serials).toContain(undefined);
    expect(serials).toContain('');
    expect(serials).toContain('None');
    expect(serials.some((s) => typeof s === 'string' && s.startsWith('VMware-42 '))).toBe(true);
    expect(serials.some((s) => typeof s === 'string' && /^[A-Z0-9]{7,}$/.test(s))).toBe(true);
    expect(grains.some((g) => !('uuid' in g))).toBe(true);
    expect(grains.some((g) => !('machine_id' in g))).toBe(true);
    expect(ifaces.some((i) => i.docker0?.[0] === '172.17.0.1')).toBe(true);
    expect(ifaces.some((i) => i.virbr0?.[0] === '192.168.122.1')).toBe(true);
    expect(ifaces.some((i) => Object.keys(i).some((k) => k.startsWith('veth')))).toBe(true);
    expect(ifaces.some((i) => Object.values(i).flat().some((ip) => ip.startsWith('169.254.')))).toBe(true);
    expect(ifaces.some((i) => Object.entries(i).some(([k, ips]) => k !== 'lo' && ips.length > 1))).toBe(true);
    expect(ifaces.some((i) => Object.keys(i).filter((k) => /^(eth|ens|eno|bond)/.test(k)).length >= 3)).toBe(true);
    expect(grains.every((g) => g.saltversion === '3006.10' && g.kernel === 'Linux')).toBe(true);
    expect(grains.every((g) => g.uuid === undefined || g.uuid === String(g.uuid).toLowerCase())).toBe(true);
  });

  it('derives a VMware uuid from its serial the way SMBIOS does (first fields byte-swapped)', () => {
    const vm = generateMinions({ count: 200, seed: 'vmw' }).find((m) => String(m.grains.serialnumber).startsWith('VMware-'));
    const bytes = String(vm?.grains.serialnumber).slice('VMware-'.length).replace('-', ' ').split(' ');
    const swapped = [...bytes.slice(0, 4).reverse(), ...bytes.slice(4, 6).reverse(), ...bytes.slice(6, 8).reverse(), ...bytes.slice(8)].join('');

    expect(String(vm?.grains.uuid).replace(/-/g, '')).toBe(swapped);
  });
});

describe('grains size', () => {
  it('weighs about what salt 3006 returns per minion from cache.grains (5.2 KB as salt-api writes it)', () => {
    const fleet = generateMinions({ count: 500 });

    const mean = fleet.reduce((sum, m) => sum + pyJsonBuffer(m.grains).length, 0) / fleet.length;

    expect(mean).toBeGreaterThan(4_900);
    expect(mean).toBeLessThan(5_500);
  });
});
