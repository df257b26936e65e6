import { describe, expect, it } from 'vitest';
import { parseIsoInstant } from './instant.js';
import { EventListQuery, MasterListQuery } from './queries.js';

describe('parseIsoInstant', () => {
  it('reads dates as midnight UTC and date-times in every ISO 8601 calendar form', () => {
    const at = Date.UTC(2026, 10, 30, 10, 0, 0);
    expect(parseIsoInstant('2026-11-30')).toBe(Date.UTC(2026, 10, 30));
    expect(parseIsoInstant('20261130')).toBe(Date.UTC(2026, 10, 30));
    expect(parseIsoInstant('2026-11-30T10:00:00Z')).toBe(at);
    expect(parseIsoInstant('2026-11-30T10:00Z')).toBe(at);
    expect(parseIsoInstant('2026-11-30T10Z')).toBe(at);
    expect(parseIsoInstant('2026-11-30T10:00:00')).toBe(at);
    expect(parseIsoInstant('2026-11-30T18:00:00+08:00')).toBe(at);
    expect(parseIsoInstant('2026-11-30T18:00:00+0800')).toBe(at);
    expect(parseIsoInstant('2026-11-30T05:00-05')).toBe(at);
    expect(parseIsoInstant('20261130T100000Z')).toBe(at);
    expect(parseIsoInstant('2026-11-30T10:00:00.250Z')).toBe(at + 250);
    expect(parseIsoInstant('2026-11-30T10:00:00,5Z')).toBe(at + 500);
    expect(parseIsoInstant('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it('refuses what is not a calendar date or time', () => {
    for (const text of ['yesterday', '2026-13-01', '2026-02-29', '2026-11-31', '2026-11-30T24:00Z', '2026-11-30T10:60Z', '2026-11-30T10:00+25:00', '2026-11-30T', '1764496800000', '']) {
      expect([text, parseIsoInstant(text)]).toEqual([text, undefined]);
    }
  });
});

describe('query schemas', () => {
  it('accept a date as since and hand over epoch milliseconds', () => {
    expect(EventListQuery.parse({ since: '2026-11-30' }).since).toBe(Date.UTC(2026, 10, 30));
    expect(EventListQuery.safeParse({ since: 'yesterday' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['since']);
  });

  it('refuse an unknown parameter, naming it', () => {
    const issues = MasterListQuery.safeParse({ stauts: 'stopped' }).error?.issues;
    expect(issues?.map((i) => [i.code, (i as { keys?: string[] }).keys])).toEqual([['unrecognized_keys', ['stauts']]]);
  });
});
