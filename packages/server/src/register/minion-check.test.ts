import { RegisterMinion } from '@act2/shared';
import { describe, expect, it } from 'vitest';
import { CHECKED_MINION_KEYS, checkPlainMinion } from './minion-check.js';

/** Whatever checkPlainMinion takes, RegisterMinion takes too, with the same result. */
function expectSameVerdict(input: unknown): boolean {
  const plain = checkPlainMinion(input);
  if (plain === undefined) return false;
  const parsed = RegisterMinion.safeParse(input);
  expect(parsed.success, JSON.stringify(input)).toBe(true);
  expect(plain).toEqual(parsed.data);
  return true;
}

// A small deterministic generator (mulberry32), so a failure replays.
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', '0', '9', '.', '-', ' ', '\t', '\n', '\u0000', '\u007f', '\u00a0', '\u2028', '\ufeff', 'é', '\ud800', '\udc00', '😀', ':', '256', '1.2.3.4', '::1'];

describe('checkPlainMinion (the hand-written fast path of RegisterMinion)', () => {
  it('covers exactly the fields RegisterMinion declares', () => {
    expect(Object.keys(RegisterMinion.shape).sort()).toEqual([...CHECKED_MINION_KEYS].sort());
  });

  it('takes the usual minion, with the result RegisterMinion gives', () => {
    const usual = [
      { sn: 'node-1', status: 'running', ips: ['10.0.0.1', '172.16.0.1'] },
      { sn: 'node-2', status: 'stopped' },
      { sn: 'node-3', status: 'running', ips: [], id: 'node-3', serial: 'VMware-42 e7 c8', uuid: '86c8e742-bdf9', os: 'Rocky 9.3', saltversion: '3006.10', extra: 1 },
      { sn: 'x'.repeat(255), status: 'running', ips: Array.from({ length: 1024 }, () => '10.0.0.1'), saltversion: 'v'.repeat(64), os: 'é'.repeat(255) },
    ];
    expect(usual.map(expectSameVerdict)).toEqual(usual.map(() => true));
    // Parsed JSON with only contract fields is taken as it is; with anything else, copied without it.
    const [bare, , extra] = JSON.parse(JSON.stringify(usual)) as Array<Record<string, unknown>>;
    expect(checkPlainMinion(bare)).toBe(bare);
    expect(checkPlainMinion(extra)).not.toBe(extra);
    expect(checkPlainMinion(extra)).not.toHaveProperty('extra');
  });

  it('leaves to RegisterMinion what it is not sure of, and never takes what RegisterMinion refuses', () => {
    const doubtful: unknown[] = [
      null, [], 'node', 42,
      { sn: ' node-1', status: 'running' }, { sn: 'node-1\n', status: 'running' }, { sn: '', status: 'running' }, { sn: 'x'.repeat(256), status: 'running' },
      { sn: 'a\u0000b', status: 'running' }, { sn: 'a\ud800', status: 'running' }, { sn: 'n', status: 'timeout' }, { sn: 'n', status: 'running', ips: null },
      { sn: 'n', status: 'running', ips: ['::1'] }, { sn: 'n', status: 'running', ips: ['010.0.0.1'] }, { sn: 'n', status: 'running', ips: ['10.0.0.1/24'] },
      { sn: 'n', status: 'running', ips: Array.from({ length: 1025 }, () => '10.0.0.1') }, { sn: 'n', status: 'running', id: 'a\tb' },
      { sn: 'n', status: 'running', os: 'x'.repeat(256) }, { sn: 'n', status: 'running', saltversion: 'v'.repeat(65) }, { sn: 'n', status: 'running', serial: 7 },
      { sn: 'n', status: 'running', uuid: null }, { sn: 'n', status: 'running', os: 'line\nbreak' },
    ];
    for (const input of doubtful) expect(expectSameVerdict(input), JSON.stringify(input)).toBe(false);
  });

  it('agrees with RegisterMinion on 20,000 generated minions', () => {
    const next = random(12);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const text = () => {
      const length = pick([0, 1, 2, 5]);
      let s = '';
      for (let i = 0; i < length; i += 1) s += pick(PIECES);
      return next() < 0.05 ? s.padEnd(pick([63, 64, 65, 254, 255, 256]), pick(['x', ' '])) : s;
    };
    const field = () => (next() < 0.5 ? undefined : next() < 0.9 ? text() : pick([null, 1, [], {}]));
    let taken = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const ips = next() < 0.2 ? undefined : Array.from({ length: pick([0, 1, 2, 3]) }, () => (next() < 0.7 ? `${pick(['10', '1', '0', '255', '256', '01'])}.0.${pick(['0', '9', '99'])}.1` : text()));
      const minion = { sn: next() < 0.6 ? `node-${i}` : text(), status: pick(['running', 'stopped', 'timeout', undefined]), ips, id: field(), serial: field(), uuid: field(), os: field(), saltversion: field() };
      if (expectSameVerdict(minion)) taken += 1;
    }
    // The generator reaches both ways.
    expect(taken).toBeGreaterThan(100);
    expect(taken).toBeLessThan(20_000);
  });
});
