import { RegisterMinion } from '@act2/shared';
import { describe, expect, it } from 'vitest';
import { ChangeCursor, diffMembership, normalizeMinions } from './diff.js';

const minion = (sn: string, status: 'running' | 'stopped', ips: string[] = [], extra: object = {}) =>
  RegisterMinion.parse({ sn, status, ips, ...extra });

describe('normalizeMinions', () => {
  it('sorts by sn, keeps the last of duplicates, lower-cases and dedupes IPs, and folds extensions into attrs', () => {
    const result = normalizeMinions([
      minion('b', 'running', ['FE80::1', 'fe80::1']),
      minion('a', 'running', ['10.0.0.1']),
      minion('a', 'stopped', [], { os: 'Rocky', saltversion: '3006.10' }),
    ]);

    expect(result).toEqual([
      { minion_sn: 'a', status: 'stopped', ips: '[]', attrs: '{"os":"Rocky","saltversion":"3006.10"}' },
      { minion_sn: 'b', status: 'running', ips: '["fe80::1"]', attrs: null },
    ]);
  });
});

describe('diffMembership', () => {
  it('splits a snapshot into joined, changed (with whether IPs changed) and left', () => {
    const current = normalizeMinions([minion('a', 'running', ['10.0.0.1']), minion('b', 'running', ['10.0.0.2']), minion('c', 'running')]);
    const incoming = normalizeMinions([minion('b', 'running', ['10.0.0.3']), minion('c', 'stopped'), minion('d', 'running')]);

    const changes = diffMembership(current, incoming);

    expect(changes.joined.map((m) => m.minion_sn)).toEqual(['d']);
    expect(changes.changed.map((c) => [c.next.minion_sn, c.ipsChanged])).toEqual([
      ['b', true],
      ['c', false],
    ]);
    expect(changes.left.map((m) => m.minion_sn)).toEqual(['a']);
  });

  it('finds nothing to do for an identical snapshot', () => {
    const set = normalizeMinions([minion('a', 'running', ['10.0.0.1']), minion('b', 'stopped')]);

    expect(diffMembership(set, normalizeMinions([minion('b', 'stopped'), minion('a', 'running', ['10.0.0.1'])]))).toEqual({
      joined: [],
      changed: [],
      left: [],
    });
  });
});

describe('ChangeCursor', () => {
  it('hands out every change once, joined then changed then left, at most max minions of one kind per piece', () => {
    const member = (sn: string) => ({ minion_sn: sn, status: 'running' as const, ips: '[]', attrs: null });
    const joined = ['j1', 'j2', 'j3', 'j4', 'j5'].map(member);
    const changed = [{ next: member('c1'), previous: member('c1'), ipsChanged: false }];
    const left = ['l1', 'l2'].map(member);
    const cursor = new ChangeCursor({ joined, changed, left });
    const pieces = [];
    for (let piece = cursor.next(2); piece !== undefined; piece = cursor.next(2)) pieces.push(piece);

    expect(pieces.map((p) => [p.joined.map((m) => m.minion_sn), p.changed.map((c) => c.next.minion_sn), p.left.map((m) => m.minion_sn)])).toEqual([
      [['j1', 'j2'], [], []],
      [['j3', 'j4'], [], []],
      [['j5'], [], []],
      [[], ['c1'], []],
      [[], [], ['l1', 'l2']],
    ]);
    expect(cursor.next(2)).toBeUndefined();
    expect(new ChangeCursor({ joined: [], changed: [], left: [] }).next(10)).toBeUndefined();
  });

  it('with mergeUpserts, hands out joined and changed minions together in sn order, then those that left', () => {
    const member = (sn: string) => ({ minion_sn: sn, status: 'running' as const, ips: '[]', attrs: null });
    const changedOf = (sn: string) => ({ next: member(sn), previous: member(sn), ipsChanged: true });
    const cursor = new ChangeCursor(
      { joined: ['a', 'c', 'd', 'g'].map(member), changed: ['b', 'e', 'f'].map(changedOf), left: ['h', 'i', 'j'].map(member) },
      { mergeUpserts: true },
    );
    const pieces = [];
    for (let piece = cursor.next(3); piece !== undefined; piece = cursor.next(3)) pieces.push(piece);

    expect(pieces.map((p) => [p.joined.map((m) => m.minion_sn), p.changed.map((c) => c.next.minion_sn), p.left.map((m) => m.minion_sn)])).toEqual([
      [['a', 'c'], ['b'], []],
      [['d'], ['e', 'f'], []],
      [['g'], [], []],
      [[], [], ['h', 'i', 'j']],
    ]);
  });
});
