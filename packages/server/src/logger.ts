import pino, { type DestinationStream, type Logger } from 'pino';
import { toPinoLevel, type LogLevel } from '@act2/shared';

/**
 * Paths pino blanks out wherever they appear in a log object. Nothing logs a request body today;
 * this is the guard for the day someone does.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'options.password',
  'master.options.password',
  'body.master.options.password',
  'req.body.master.options.password',
  'secretKey',
  '*.secretKey',
  'config.secretKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/**
 * The root logger: pino JSON with secrets redacted. Only entries create it; everything else gets children.
 *
 * Without a destination it writes to stdout synchronously. pino's default asynchronous stdout
 * flushes what is still buffered when the process exits, and that flush retries EPIPE forever:
 * with stdout a broken pipe (`act2-server | head -1`, a log shipper that died) SIGTERM never
 * ended the process. A synchronous write sees EPIPE at once, and pino then drops further lines.
 */
export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      // The agent's vocabulary too: `name` is the program, `time` is ISO 8601, `warning` means `warn`.
      name: 'act2-server',
      level: toPinoLevel(options.level ?? 'info'),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
