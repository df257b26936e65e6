import { RegisterMinion } from '@act2/shared';
import { describe, expect, it } from 'vitest';
import { interfaceMatcher } from './ips.js';
import { isReportableId, toCollectedMinion } from './minions.js';

const options = { excluded: interfaceMatcher(['docker0']) };

describe('toCollectedMinion', () => {
  it('turns junk grain text into values the contract accepts instead of failing the whole heartbeat', () => {
    const grains = {
      serialnumber: 'VMware-42 1f\u0000 3a',
      uuid: 'x'.repeat(300),
      os: 'CentOS',
      osrelease: '7.9\u0000',
      saltversion: '3006.10',
      ip4_interfaces: { eth0: ['10.0.0.5'] },
    };

    const minion = toCollectedMinion('web-01', true, grains, options);

    expect(minion).toMatchObject({ serial: 'VMware-42 1f 3a', os: 'CentOS 7.9', ips: ['10.0.0.5'] });
    expect(minion.uuid).toHaveLength(255);
    expect(RegisterMinion.safeParse(minion).success).toBe(true);
  });

  it('falls back to the id when the sn grain holds control characters', () => {
    const minion = toCollectedMinion('web-02', true, { serialnumber: 'ABC\u0007DEF' }, { ...options, minionSnGrain: 'serialnumber' });

    expect(minion.sn).toBe('web-02');
  });
});

describe('isReportableId', () => {
  it.each([
    ['web-01', true],
    ['a'.repeat(255), true],
    ['a'.repeat(256), false],
    ['', false],
    ['  ', false],
    ['bad\nid', false],
    ['nul\u0000', false],
    ['lone-\ud800', false],
    ['lone-\udc00', false],
    ['pair-\ud83d\ude00', true],
  ])('%j → %s', (id, ok) => {
    expect(isReportableId(id)).toBe(ok);
  });
});
