import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logger.js';

/** A real act2-server logger whose JSON lines the test reads back. */
export function captureLogger(level: 'trace' | 'debug' | 'info' = 'info'): { logger: Logger; lines(): Array<Record<string, unknown>>; text(): string } {
  const raw: string[] = [];
  const logger = createLogger({
    level,
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        raw.push(chunk.toString());
        done();
      },
    }),
  });
  return {
    logger,
    lines: () => raw.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => raw.join(''),
  };
}
