import Fastify, { LogController } from 'fastify';
import { describe, expect, it } from 'vitest';
import { serverConfig } from './config.js';
import { registerRequestLog } from './http/request-log.js';
import { createLogger } from './logger.js';
import type { LogLevel } from '@act2/shared';
import type { FastifyBaseLogger } from 'fastify';

function capture(level: LogLevel) {
  const lines: Array<Record<string, unknown>> = [];
  const log: FastifyBaseLogger = createLogger({ level, destination: { write: (chunk: string) => void lines.push(JSON.parse(chunk)) } });
  return { log, lines };
}

describe('createLogger', () => {
  it("writes the agent's vocabulary: name = the program, ISO 8601 time, and accepts 'warning'", () => {
    const { log, lines } = capture('warning');
    log.info('hidden');
    log.warn({ sn: 'm-1' }, 'shown');

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: 'act2-server', level: 40, msg: 'shown', sn: 'm-1' });
    expect(lines[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('accepts warning as a --log-level like the agent does', () => {
    expect(serverConfig({ logLevel: 'warning' }).logLevel).toBe('warning');
  });
});

describe('the request log line', () => {
  const appWith = async (trustProxy: ServerConfigTrust) => {
    const { log, lines } = capture('info');
    const app = Fastify({ loggerInstance: log, trustProxy, logController: new LogController({ disableRequestLogging: true }) });
    registerRequestLog(app);
    // A write: successful reads are logged at debug, writes at info.
    app.post('/x', async () => 'ok');
    await app.ready();
    return { app, lines };
  };
  type ServerConfigTrust = boolean | string[];

  it('carries the peer address, and ignores X-Forwarded-For from an untrusted peer', async () => {
    const { app, lines } = await appWith(false);
    await app.inject({ method: 'POST', url: '/x', remoteAddress: '192.0.2.7', headers: { 'x-forwarded-for': '198.51.100.9' } });
    expect(lines.find((l) => l.msg === 'request completed')).toMatchObject({ remoteAddress: '192.0.2.7', statusCode: 200 });
  });

  it('carries the forwarded client address when the proxy is trusted (--trust-proxy)', async () => {
    const { app, lines } = await appWith(['192.0.2.7']);
    await app.inject({ method: 'POST', url: '/x', remoteAddress: '192.0.2.7', headers: { 'x-forwarded-for': '198.51.100.9' } });
    expect(lines.find((l) => l.msg === 'request completed')).toMatchObject({ remoteAddress: '198.51.100.9' });
  });
});
