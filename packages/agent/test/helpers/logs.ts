import type { Logger } from 'pino';
import { createLogger } from '../../src/log.js';
import type { LogLevelName } from '../../src/log.js';

/** A real pino logger (same options as the CLI's) whose lines are kept for assertions. */
export function captureLogs(level: LogLevelName = 'debug'): { log: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const log = createLogger(level, { write: (chunk: string) => void chunks.push(chunk) });
  return {
    log,
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
