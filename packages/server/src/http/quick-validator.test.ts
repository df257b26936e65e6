import { LookupQuery, SnParams } from '@act2/shared';
import { describe, expect, it } from 'vitest';
import { dottedIpv4Query, plainSnParams, quickValidator, unchanged } from './quick-validator.js';

const sns = ['m-0000042', 'a', 'x'.repeat(255), 'x'.repeat(256), '', ' m-1', 'm-1 ', 'm 1', 'm\t1', 'm\u00001', 'é', 'm-\u{1F600}', '\ud800'];
const ips = ['10.0.0.1', '255.255.255.255', '0.0.0.0', '256.0.0.1', '01.0.0.1', '1.2.3', '1.2.3.4.5', '::1', 'fe80::1', ' 10.0.0.1', '10.0.0.1\n', 'x'];

describe('the quick checks of the hot reads', () => {
  it('accept an sn only when SnParams accepts it unchanged', () => {
    for (const sn of sns) {
      const parsed = SnParams.safeParse({ sn });
      if (plainSnParams({ sn })) expect(parsed.data).toEqual({ sn });
    }
    // Both ways: the plain sns are taken quickly, anything zod would change or refuse is not.
    expect(['m-0000042', 'a', 'x'.repeat(255)].map((sn) => plainSnParams({ sn }))).toEqual([true, true, true]);
    expect(['x'.repeat(256), '', ' m-1', 'm-1 ', 'm 1', 'é', '\ud800'].map((sn) => plainSnParams({ sn }))).toEqual(Array(7).fill(false));
    expect(plainSnParams({ sn: 'm-1', other: 'x' })).toBe(false);
    expect(plainSnParams({ sn: 42 })).toBe(false);
  });

  it('accept an IP only when LookupQuery accepts it unchanged', () => {
    for (const ip of ips) {
      const parsed = LookupQuery.safeParse({ ip });
      if (dottedIpv4Query({ ip })) expect(parsed.data).toEqual({ ip });
      // Every dotted IPv4 address LookupQuery takes is taken quickly too.
      if (parsed.success && !ip.includes(':')) expect(dottedIpv4Query({ ip })).toBe(true);
    }
    expect(dottedIpv4Query({ ip: '10.0.0.1', limit: '1' })).toBe(false);
    expect(dottedIpv4Query({ ip: ['10.0.0.1', '10.0.0.2'] })).toBe(false);
  });
});

describe('quickValidator', () => {
  const compile = quickValidator('params', unchanged(plainSnParams));

  it('passes what the check accepts as it is, and leaves the rest to zod with its errors', () => {
    const validate = compile({ schema: SnParams, method: 'GET', url: '/x/:sn', httpPart: 'params' }) as (data: unknown) => { value?: unknown; error?: unknown };
    const plain = { sn: 'm-1' };

    expect(validate(plain).value).toBe(plain);
    expect(validate({ sn: '  m-1  ' }).value).toEqual({ sn: 'm-1' });
    expect(validate({ sn: '' }).error).toBeDefined();
  });

  it('leaves other parts of the request to zod', () => {
    const validate = compile({ schema: LookupQuery, method: 'GET', url: '/x/:sn', httpPart: 'querystring' }) as (data: unknown) => { error?: unknown };

    expect(validate({ sn: 'm-1' }).error).toBeDefined();
  });
});
