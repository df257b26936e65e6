import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { allBranches } from './all-branches.js';
import { maskArgs, maskKwarg } from './audit-mask.js';
import { functionAllowed } from './function-allow-list.js';
import { limitOutput } from './output-limit.js';
import { readJobInfo } from './salt-answers.js';
import { anyWithin } from './seq-ranges.js';

describe('job helpers', () => {
  it('anyWithin tells whether a sorted list holds a number of a range, at either end, inside, or none', () => {
    const sorted = [2, 5, 9];
    const cases: Array<[first: number, last: number, within: boolean]> = [
      [0, 1, false],
      [0, 2, true],
      [3, 4, false],
      [3, 5, true],
      [6, 8, false],
      [9, 9, true],
      [10, 20, false],
      [1, 10, true],
    ];
    for (const [first, last, within] of cases) expect([first, last, anyWithin(sorted, first, last)]).toEqual([first, last, within]);
    expect(anyWithin([], 0, 10)).toBe(false);
  });

  it('--job-functions globs match whole salt function names', () => {
    expect(functionAllowed('test.ping', ['test.*'])).toBe(true);
    expect(functionAllowed('cmd.run', ['test.*', 'cmd.run'])).toBe(true);
    expect(functionAllowed('cmd.run_all', ['cmd.run'])).toBe(false);
    expect(functionAllowed('state.apply', ['test.*'])).toBe(false);
    expect(functionAllowed('anything.at_all', ['*'])).toBe(true);
  });

  it('masks values of secret-looking keys in kwarg and key=value args, nothing else', () => {
    expect(maskKwarg({ password: 'p', env: { API_TOKEN: 't', HOME: '/root' }, cwd: '/tmp' })).toEqual({
      password: '***',
      env: { API_TOKEN: '***', HOME: '/root' },
      cwd: '/tmp',
    });
    expect(maskArgs(['echo hi', 'db_password=hunter2', 'user=bob', { secret: 1 }])).toEqual(['echo hi', 'db_password=***', 'user=bob', { secret: '***' }]);
  });

  it('cuts returns over the limit and flags salt’s VALUE_TRIMMED', () => {
    expect(limitOutput('hi', 1024)).toEqual({ json: '"hi"', truncated: false });
    expect(limitOutput('x'.repeat(2000), 1024)).toEqual({ json: JSON.stringify('x'.repeat(1024)), truncated: true });
    expect(limitOutput('é'.repeat(600), 1025)).toEqual({ json: JSON.stringify('é'.repeat(512)), truncated: true });
    expect(limitOutput({ a: 'y'.repeat(2000) }, 1024).truncated).toBe(true);
    expect(limitOutput('VALUE_TRIMMED', 1024)).toEqual({ json: '"VALUE_TRIMMED"', truncated: true });
  });

  it('reads jobs.list_job permissively: fields of the wrong type are absent, entries that are not objects skipped', () => {
    const info = readJobInfo({
      Minions: ['m1', 'm2', 7, 'm3'],
      Result: { m1: { return: true, retcode: 0, success: true }, m2: { return: 'x', retcode: 1.5, success: 'yes' }, m3: 'not an object', m4: { retcode: 2 } },
      Error: 42,
    });
    expect(info.minions).toEqual(['m1', 'm2', 'm3']);
    expect([...info.results]).toEqual([
      ['m1', { return: true, retcode: 0, success: true }],
      ['m2', { return: 'x', retcode: undefined, success: undefined }],
      ['m4', { return: undefined, retcode: 2, success: undefined }],
    ]);
    expect(info.error).toBeUndefined();
    expect(readJobInfo({ Error: 'unknown jid', Result: [] })).toEqual({ minions: undefined, results: new Map(), error: 'unknown jid' });
    expect(readJobInfo('Salt request timed out').error).toBe('unreadable jobs.list_job answer');
    expect(readJobInfo(null).error).toBe('unreadable jobs.list_job answer');
  });

  it('a round whose branch fails ends only after every other branch has stopped writing, with the first failure', async () => {
    const log: string[] = [];
    const round = allBranches(['a', 'b', 'c'], async (master) => {
      if (master === 'b') {
        log.push('b failed');
        throw new Error('database error on b');
      }
      if (master === 'c') throw new Error('database error on c');
      await sleep(50);
      // With Promise.all the round had already failed (and the follower stopped) before this write.
      log.push('a settled');
    });
    await expect(round).rejects.toThrow('database error on b');
    log.push('round ended');
    expect(log).toEqual(['b failed', 'a settled', 'round ended']);
  });
});
