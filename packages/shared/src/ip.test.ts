import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalIp, dottedIpv4Head } from './ip.js';

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

describe('dottedIpv4Head', () => {
  it('accepts exactly what the contract\'s IPv4 pattern accepts, and reads the first two octets', () => {
    const pieces = ['0', '1', '9', '10', '01', '00', '99', '100', '199', '249', '250', '255', '256', '999', '1000', '', 'a', ' 1', '-1', '+1'];
    let seed = 7;
    const pick = () => pieces[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % pieces.length]!;
    for (let n = 0; n < 20_000; n += 1) {
      const parts = Array.from({ length: n % 7 === 0 ? 3 + (n % 3) : 4 }, pick);
      const text = parts.join(n % 11 === 0 ? ',' : '.');
      const head = dottedIpv4Head(text);
      expect(head >= 0, text).toBe(z.regexes.ipv4.test(text));
      if (head >= 0) expect(head, text).toBe(Number(parts[0]) * 256 + Number(parts[1]));
    }
  });
});
