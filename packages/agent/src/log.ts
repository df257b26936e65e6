import { LOG_LEVELS, toPinoLevel, type LogLevel } from '@act2/shared';
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

/** `--log-level` values: the same names act2-server accepts (heartbeat.py's `warning` among them). */
export { LOG_LEVELS, toPinoLevel };
export type LogLevelName = LogLevel;

/**
 * Defence in depth: the code never puts secrets in log fields, and if one slips in under a
 * usual name it is censored anyway.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'saltPassword',
  '*.saltPassword',
  'token',
  '*.token',
  'headers["x-auth-token"]',
  '*.headers["x-auth-token"]',
  'options',
  'master.options',
  '*.master.options',
];

/**
 * Where log lines go: appended to `file`, or written to a file descriptor (1 = stdout; 2 = stderr
 * for `--dry-run`, whose stdout holds only the payload). Synchronous, so nothing is lost at exit
 * and pino never starts a worker thread (the single-file bundle has no worker script beside it).
 */
export function openLogDestination(target: { file: string } | { fd: number }): DestinationStream {
  if ('file' in target) return pino.destination({ dest: target.file, append: true, sync: true });
  return pino.destination({ fd: target.fd, sync: true });
}

export function createLogger(level: LogLevelName, destination: DestinationStream): Logger {
  return pino(
    {
      name: 'act2-heartbeat',
      level: toPinoLevel(level),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
