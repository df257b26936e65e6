import { describe, expect, it } from 'vitest';
import { postRegister, useTestApp } from '../../test/helpers/app.js';
import { captureLogger } from '../../test/helpers/log.js';
import { payload } from '../../test/helpers/payloads.js';

const completed = (lines: Array<Record<string, unknown>>) =>
  lines.filter((l) => l.msg === 'request completed').map((l) => [l.level, l.method, l.route, l.statusCode]);

describe('the request log at info', () => {
  const log = captureLogger('info');
  const t = useTestApp('sqlite', { logger: log.logger });

  it('keeps writes and failed reads, and leaves successful reads out (they are debug)', async () => {
    await postRegister(t.current.app, payload('m-1', [{ sn: 'web-1', status: 'running', ips: ['10.0.0.1'] }]));
    await t.current.app.inject({ url: '/api/v1/minions/web-1' });
    await t.current.app.inject({ url: '/api/v1/minions/nobody' });

    expect(completed(log.lines())).toEqual([
      [30, 'POST', '/register', 200],
      [30, 'GET', '/api/v1/minions/:sn', 404],
    ]);
  });
});

describe('the request log at debug', () => {
  const log = captureLogger('debug');
  const t = useTestApp('sqlite', { logger: log.logger });

  it('has every request, successful reads at debug', async () => {
    await t.current.app.inject({ url: '/api/v1/masters' });

    expect(completed(log.lines())).toEqual([[20, 'GET', '/api/v1/masters', 200]]);
  });
});
