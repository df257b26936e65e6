import pino from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';

/** `--log-level` values, named as heartbeat.py named them. */
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** heartbeat.py said `warning`; pino says `warn`. */
export function toPinoLevel(level: LogLevelName): Level {
  return level === 'warning' ? 'warn' : level;
}

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
