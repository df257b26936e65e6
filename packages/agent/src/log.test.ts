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

  it('censors secrets that slip into usual field names', () => {
    const { log, text } = logger('info');
    log.info({ password: 'sec-p1', config: { saltPassword: 'sec-p2' }, token: 'sec-t1', headers: { 'x-auth-token': 'sec-t2' }, master: { options: { password: 'sec-p3' } } }, 'oops');
    expect(text()).not.toContain('sec-');
    expect(text()).toContain('[redacted]');
  });
});
