import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

function logger(level: Parameters<typeof createLogger>[0]) {
  const chunks: string[] = [];
  return { log: createLogger(level, { write: (chunk: string) => void chunks.push(chunk) }), text: () => chunks.join('') };
}

describe('createLogger', () => {
  it("maps heartbeat.py's 'warning' to pino's 'warn'", () => {
    expect(['debug', 'info', 'warning', 'error'].map((l) => createLogger(l as 'info', { write: () => undefined }).level)).toEqual(['debug', 'info', 'warn', 'error']);
  });

  it("writes the server's vocabulary: name = the program, ISO 8601 time, 'warn' accepted too", () => {
    const { log, text } = logger('warn');
    log.info('hidden');
    log.warn('shown');
    const lines = text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ name: 'act2-heartbeat', level: 40, msg: 'shown' })]);
    expect(lines[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('censors secrets that slip into usual field names', () => {
    const { log, text } = logger('info');
    log.info({ password: 'sec-p1', config: { saltPassword: 'sec-p2' }, token: 'sec-t1', headers: { 'x-auth-token': 'sec-t2' }, master: { options: { password: 'sec-p3' } } }, 'oops');
    expect(text()).not.toContain('sec-');
    expect(text()).toContain('[redacted]');
  });
});
