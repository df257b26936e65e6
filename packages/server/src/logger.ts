import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

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

/** The root logger: pino JSON with secrets redacted. Only entries create it; everything else gets children. */
export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    { level: options.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'act2-server' } },
    options.destination,
  );
}
