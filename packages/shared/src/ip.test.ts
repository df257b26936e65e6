import { describe, expect, it } from 'vitest';
import { canonicalIp } from './ip.js';

describe('canonicalIp', () => {
  it('writes IPv6 the RFC 5952 way', () => {
    const cases = [
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];

    expect(cases.map(([input]) => canonicalIp(input!))).toEqual(cases.map(([, output]) => output));
  });

  it('writes an IPv4-mapped address as the IPv4 address, and keeps IPv4 as it is', () => {
    expect(['::ffff:10.0.0.1', '::FFFF:0a00:0001', '0:0:0:0:0:ffff:10.0.0.1', '10.0.0.1'].map(canonicalIp)).toEqual([
      '10.0.0.1',
      '10.0.0.1',
      '10.0.0.1',
      '10.0.0.1',
    ]);
  });

  it('returns text that is not an address lower-cased', () => {
    expect(['1::2::3', 'NOPE:', '::ffff:1.2.3.400'].map(canonicalIp)).toEqual(['1::2::3', 'nope:', '::ffff:1.2.3.400']);
  });
});
