import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { allBranches } from './all-branches.js';
import { maskArgs, maskKwarg } from './audit-mask.js';
import { functionAllowed } from './function-allow-list.js';
import { limitOutput } from './output-limit.js';

describe('job helpers', () => {
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
