import { describe, expect, it } from 'vitest';
import { interfaceMatcher, isReportableIpv4, minionIps } from './ips.js';
import { readMinionGrains } from './schema.js';

const DEFAULT_EXCLUDED = interfaceMatcher(['docker0', 'virbr*', 'veth*']);

describe('isReportableIpv4', () => {
  it("keeps 27.0.0.1 and 7.0.0.1, which heartbeat.py's substring test dropped", () => {
    expect(['27.0.0.1', '7.0.0.1', '10.1.2.3', '169.253.1.1'].filter(isReportableIpv4)).toEqual(['27.0.0.1', '7.0.0.1', '10.1.2.3', '169.253.1.1']);
  });

  it('drops loopback, link-local, 0.0.0.0 and anything that is not a dotted IPv4', () => {
    const junk = ['127.0.0.1', '127.0.0.2', '127.255.0.9', '169.254.10.1', '0.0.0.0', '::1', 'fe80::1', '10.0.0.256', '10.0.0', '010.1.1.1', '', 42, null];
    expect(junk.filter(isReportableIpv4)).toEqual([]);
  });
});

describe('interfaceMatcher', () => {
  it('matches globs whole, and always lo', () => {
    const names = ['lo', 'docker0', 'docker1', 'virbr0', 'virbr0-nic', 'veth1a2b', 'eth0', 'xveth0', 'br-1'];
    expect(names.filter(DEFAULT_EXCLUDED)).toEqual(['lo', 'docker0', 'virbr0', 'virbr0-nic', 'veth1a2b']);
    expect(['lo', 'eth0', 'eth10', 'em1'].filter(interfaceMatcher(['eth?']))).toEqual(['lo', 'eth0']);
  });
});

describe('minionIps', () => {
  it('reads ip4_interfaces without lo and excluded interfaces, de-duplicated, in order', () => {
    const grains = {
      ip4_interfaces: {
        lo: ['127.0.0.1'],
        eth0: ['10.0.0.5', '10.0.0.6', 127],
        docker0: ['172.17.0.1'],
        virbr0: ['192.168.122.1'],
        eth1: ['10.0.0.5', '169.254.3.3', '27.0.0.1'],
        ifb0: [],
      },
      ipv4: ['127.0.0.1', '10.9.9.9'],
    };
    expect(minionIps(grains, DEFAULT_EXCLUDED)).toEqual(['10.0.0.5', '10.0.0.6', '27.0.0.1']);
  });

  it('falls back to the ipv4 grain only when ip4_interfaces is missing (or was not an object)', () => {
    expect(minionIps({ ipv4: ['127.0.0.1', '192.0.2.2', '192.0.2.2'] }, DEFAULT_EXCLUDED)).toEqual(['192.0.2.2']);
    expect(minionIps(readMinionGrains({ ip4_interfaces: '', ipv4: ['10.0.0.7'] }), DEFAULT_EXCLUDED)).toEqual(['10.0.0.7']);
    expect(minionIps({}, DEFAULT_EXCLUDED)).toEqual([]);
  });

  it('does not leak excluded interfaces through ipv4 when ip4_interfaces leaves nothing', () => {
    const grains = {
      ip4_interfaces: { lo: ['127.0.0.1'], eth0: [], docker0: ['172.17.0.1'], virbr0: ['192.168.122.1'] },
      ipv4: ['127.0.0.1', '172.17.0.1', '192.168.122.1'],
    };
    expect(minionIps(grains, DEFAULT_EXCLUDED)).toEqual([]);
  });
});
