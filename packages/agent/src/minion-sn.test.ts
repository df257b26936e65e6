import { describe, expect, it } from 'vitest';
import { chooseMinionSn, isMeaningfulSerial } from './minion-sn.js';

describe('chooseMinionSn', () => {
  it('uses a meaningful grain value, trimmed', () => {
    expect(chooseMinionSn('web-01', ' VMware-42 1a 2b 3c ')).toBe('VMware-42 1a 2b 3c');
    expect(chooseMinionSn('web-01', 'CZ12345678')).toBe('CZ12345678');
  });

  it.each([
    '', '  ', 'None', 'none', '0', 'Not Specified', 'To be filled by O.E.M.', 'Default string', 'System Serial Number',
    '00000000-0000-0000-0000-000000000000', 'Unknown',
  ])('falls back to the minion id for the placeholder %j', (value) => {
    expect(chooseMinionSn('web-01', value)).toBe('web-01');
  });

  it('falls back to the id for missing, non-string and over-long values', () => {
    expect([undefined, false, 42, ['x'], 'x'.repeat(256)].map((v) => chooseMinionSn('web-01', v))).toEqual(Array(5).fill('web-01'));
  });

  it('isMeaningfulSerial accepts real serials only', () => {
    expect(['ABC123', 'None', '', 'Default string'].map(isMeaningfulSerial)).toEqual([true, false, false, false]);
  });
});
