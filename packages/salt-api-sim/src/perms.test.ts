import { describe, expect, it } from 'vitest';
import { localAllowed, sortedPermissions, specCheck } from './perms.js';
import type { SimMinion } from './types.js';

const fleet: SimMinion[] = ['web1', 'web2', 'db1'].map((id) => ({ id, up: true, grains: {} }));

describe('external_auth checks', () => {
  it('lets @runner, @runners and @<module> call runners', () => {
    expect(specCheck(['@runner'], 'manage.status', 'runner')).toBe(true);
    expect(specCheck(['@runners'], 'cache.grains', 'runner')).toBe(true);
    expect(specCheck(['@manage'], 'manage.status', 'runner')).toBe(true);
    expect(specCheck([{ '@runner': ['manage.*'] }], 'manage.up', 'runner')).toBe(true);
    expect(specCheck(['.*', '@wheel'], 'manage.status', 'runner')).toBe(false);
    expect(specCheck(['test.*'], 'manage.status', 'runner')).toBe(false);
  });

  it('matches local functions with re.match and limits target entries to their minions', () => {
    expect(localAllowed(['test.*'], 'test.ping', fleet, fleet)).toBe(true);
    expect(localAllowed(['test.*'], 'grains.item', fleet, fleet)).toBe(false);
    expect(localAllowed([{ 'web*': ['grains.*'] }], 'grains.item', fleet, fleet.slice(0, 2))).toBe(true);
    expect(localAllowed([{ 'web*': ['grains.*'] }], 'grains.item', fleet, fleet)).toBe(false);
  });

  it('sorts and deduplicates like netapi.sorted_permissions', () => {
    expect(sortedPermissions(['@wheel', '.*', '@runner', '@jobs', '.*', { a: ['b'] }])).toEqual(['.*', '@jobs', '@runner', '@wheel', { a: ['b'] }]);
  });
});
