import { describe, expect, it } from 'vitest';
import { globMatch, grainMatch, matchMinions } from './targeting.js';
import type { SimMinion } from './types.js';

const fleet: SimMinion[] = [
  { id: 'web-1', up: true, grains: { os: 'Debian', roles: ['web', 'edge'], dns: { domain: 'a.example' } } },
  { id: 'web-2', up: false, grains: { os: 'Rocky', roles: ['web'] } },
  { id: 'db-1', up: true, grains: { os: 'Debian', roles: ['db'] } },
];
const ids = (ms: SimMinion[]) => ms.map((m) => m.id);

describe('matchMinions', () => {
  it('globs like fnmatch, down minions included', () => {
    expect(ids(matchMinions(fleet, '*'))).toEqual(['web-1', 'web-2', 'db-1']);
    expect(ids(matchMinions(fleet, 'web-?'))).toEqual(['web-1', 'web-2']);
    expect(ids(matchMinions(fleet, '[!w]*'))).toEqual(['db-1']);
    expect(ids(matchMinions(fleet, 'web-[2-9]'))).toEqual(['web-2']);
    expect(matchMinions(fleet, 'nothing')).toEqual([]);
  });

  it('takes list targets as an array or a comma string, in the order given', () => {
    expect(ids(matchMinions(fleet, ['db-1', 'web-1', 'ghost'], 'list'))).toEqual(['db-1', 'web-1']);
    expect(ids(matchMinions(fleet, 'web-2,db-1', 'list'))).toEqual(['web-2', 'db-1']);
  });

  it('anchors pcre at the start only (re.match)', () => {
    expect(ids(matchMinions(fleet, 'web', 'pcre'))).toEqual(['web-1', 'web-2']);
    expect(ids(matchMinions(fleet, '-1', 'pcre'))).toEqual([]);
  });

  it('matches grains case-insensitively, through lists and nested dicts', () => {
    expect(ids(matchMinions(fleet, 'os:debian', 'grain'))).toEqual(['web-1', 'db-1']);
    expect(ids(matchMinions(fleet, 'roles:edge', 'grain'))).toEqual(['web-1']);
    expect(grainMatch(fleet[0]?.grains ?? {}, 'dns:domain:*.example')).toBe(true);
  });

  it('combines matchers in compound targets', () => {
    expect(ids(matchMinions(fleet, 'G@os:Debian and web*', 'compound'))).toEqual(['web-1']);
    expect(ids(matchMinions(fleet, 'L@db-1 or ( web-* and not G@os:Debian )', 'compound'))).toEqual(['web-2', 'db-1']);
  });

  it('escapes regex characters in globs', () => {
    expect(globMatch('a.b', 'a.b')).toBe(true);
    expect(globMatch('axb', 'a.b')).toBe(false);
  });
});
