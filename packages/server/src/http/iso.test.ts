import { describe, expect, it } from 'vitest';
import { iso } from './iso.js';

const viaDate = (ms: number) => new Date(ms).toISOString();

describe('iso', () => {
  it('writes what Date#toISOString writes at the edges of days, months, leap years and centuries', () => {
    const edges = [
      0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000,
      Date.UTC(2000, 1, 28, 23, 59, 59, 999), Date.UTC(2000, 1, 29), Date.UTC(2000, 2, 1),
      Date.UTC(2100, 1, 28, 12), Date.UTC(2100, 2, 1), Date.UTC(2024, 11, 31, 23, 59, 59, 999), Date.UTC(2025, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    for (const ms of edges) expect(iso(ms)).toBe(viaDate(ms));
  });

  it('writes what Date#toISOString writes for times spread over 1970–9999', () => {
    // A fixed pseudo-random walk (no Math.random: the same values every run).
    let x = 123_456_789;
    for (let i = 0; i < 20_000; i += 1) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      const ms = Math.floor((x / 2_147_483_648) * 253_402_300_799_999);
      expect(iso(ms)).toBe(viaDate(ms));
    }
  });

  it('leaves times outside 1970–9999 and non-integers to Date (six-digit years, RangeError for NaN)', () => {
    for (const ms of [-1, -86_400_001, 253_402_300_800_000, 8.64e15, 1.5]) expect(iso(ms)).toBe(viaDate(ms));
    expect(() => iso(Number.NaN)).toThrow(RangeError);
  });
});
