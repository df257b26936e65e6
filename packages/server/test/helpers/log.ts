import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logger.js';

type Level = 'trace' | 'debug' | 'info' | 'warn';

/** A real act2-server logger (redaction included) and the raw chunks it wrote. */
function recordingLogger(level: Level): { logger: Logger; raw: string[] } {
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
  return { logger, raw };
}

/** A real act2-server logger whose JSON lines the test reads back. */
export function captureLogger(level: Level = 'info'): { logger: Logger; lines(): Array<Record<string, unknown>>; text(): string } {
  const { logger, raw } = recordingLogger(level);
  return {
    logger,
    lines: () => raw.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => raw.join(''),
  };
}

/** The same logger with its raw lines as an array (one pino write per line). */
export function captureLog(level: Level = 'trace') {
  const { logger, raw } = recordingLogger(level);
  return { logger, lines: raw, entries: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
