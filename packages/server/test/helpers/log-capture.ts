import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';

/** A real act2-server logger (redaction included) whose lines the test reads back. */
export function captureLog(level: 'trace' | 'debug' | 'info' | 'warn' = 'trace') {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
