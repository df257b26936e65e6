import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { postRegister, useTestApp } from '../../test/helpers/app.js';
import { captureLogger } from '../../test/helpers/log.js';
import { payload } from '../../test/helpers/payloads.js';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';

describe("a request's logger", () => {
  const log = captureLogger('info');
  const t = useTestApp('sqlite', { logger: log.logger });

  it("binds each line to the request's reqId, as pino's child does", async () => {
    await postRegister(t.current.app, payload('m-1', [{ sn: 'web-1', status: 'running', ips: ['10.0.0.1'] }]));
    await t.current.app.inject({ url: '/api/v1/minions/nobody' });

    const lines = log.lines().filter((l) => l.msg === 'request completed');
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => typeof l.reqId)).toEqual(['string', 'string']);
    expect(lines[0]!.reqId).not.toBe(lines[1]!.reqId);
  });
});

it('makes the pino child only when the request logs, with the bindings and level it was given', () => {
  const child = { level: 'warn', info: vi.fn(), child: vi.fn() } as unknown as FastifyBaseLogger;
  const parent = { level: 'info', child: vi.fn(() => child) } as unknown as FastifyBaseLogger;

  const lazy = lazyChildLoggerFactory(parent, { reqId: 'req-1' }, { level: 'warn' });
  expect(lazy.level).toBe('warn');
  expect(parent.child).not.toHaveBeenCalled();

  lazy.info({ a: 1 }, 'hello');
  expect(parent.child).toHaveBeenCalledWith({ reqId: 'req-1' }, { level: 'warn' });
  expect(child.info).toHaveBeenCalledWith({ a: 1 }, 'hello');
});
