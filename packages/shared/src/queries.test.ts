import { describe, expect, it } from 'vitest';
import { EventListQuery, MasterListQuery, MinionListQuery, SnParams } from './queries.js';

describe('read API query schemas', () => {
  it('coerces limit from the query string and defaults it to 100', () => {
    expect(MasterListQuery.parse({ limit: '5' }).limit).toBe(5);
    expect(MasterListQuery.parse({}).limit).toBe(100);
  });

  it('rejects a limit above 1000 and an unknown status, naming the fields', () => {
    const result = MasterListQuery.safeParse({ limit: '1001', status: 'dead' });
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['limit', 'status']);
  });

  it('validates the ip filter and the since timestamp', () => {
    expect(MinionListQuery.safeParse({ ip: '10.0.0.1' }).success).toBe(true);
    expect(MinionListQuery.safeParse({ ip: 'nope' }).success).toBe(false);
    expect(EventListQuery.safeParse({ since: '2026-01-02T03:04:05Z' }).success).toBe(true);
    expect(EventListQuery.safeParse({ since: 'yesterday' }).success).toBe(false);
  });

  it('rejects control characters in text filters and path parameters', () => {
    expect(MasterListQuery.safeParse({ idc: 'a\u0000' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['idc']);
    expect(MinionListQuery.safeParse({ master: 'm\u0001' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['master']);
    expect(SnParams.safeParse({ sn: '\u0000' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['sn']);
  });
});
