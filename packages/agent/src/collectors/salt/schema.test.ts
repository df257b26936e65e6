import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { isReportableIpv4 } from '../../ips.js';
import { minionIps } from './ips.js';
import { isGrainsByMinion, readMinionGrains } from './schema.js';

describe('reading salt-api grains permissively', () => {
  it('keeps the grains it reads and drops a grain of the wrong type, never throwing', () => {
    const grains = readMinionGrains({
      id: 'web-1',
      serialnumber: 42,
      uuid: null,
      os: 'Rocky',
      osrelease: ['9'],
      ip4_interfaces: { eth0: ['10.0.0.1'], eth1: 'nope', lo: ['127.0.0.1'] },
      ipv4: 'nope',
      cpu_flags: ['sse'],
    });

    // ip4_interfaces is kept as sent; an interface whose list is not a list reads as no addresses.
    expect(grains).toEqual({ id: 'web-1', os: 'Rocky', ip4_interfaces: { eth0: ['10.0.0.1'], eth1: 'nope', lo: ['127.0.0.1'] } });
    expect(minionIps(grains, () => false)).toEqual(['10.0.0.1']);
    expect(readMinionGrains({ ip4_interfaces: ['10.0.0.1'], ipv4: ['10.0.0.2'] })).toEqual({ ipv4: ['10.0.0.2'] });
  });

  it('checks only the top level of a grains answer: an object keyed by minion id', () => {
    expect([isGrainsByMinion({ a: false, b: {} }), isGrainsByMinion([]), isGrainsByMinion(null), isGrainsByMinion('x')]).toEqual([true, false, false, false]);
  });

  it('accepts exactly the IPv4 addresses the contract accepts', () => {
    const samples = [
      '10.0.0.1', '10.0.0.256', '010.0.0.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '8.8.8.8', '10.0.0.1\n', '٣.1.1.1',
      '255.255.255.255', '256.1.1.1', '1.2.3.04', '1.2.3.0', '0.1.2.3', '00.1.2.3', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4.',
      '199.200.249.250', '1.2.3.1000', '1.2.3.-1', '1.2.3.+1', '', '1.2.3.4 ', '1.2.3.4/24', '１.2.3.4', '123.123.123.123',
    ];

    expect(samples.map(isReportableIpv4)).toEqual(samples.map((s) => z.ipv4().safeParse(s).success));
  });
});
