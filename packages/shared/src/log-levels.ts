/**
 * `--log-level` names both programs accept: pino's, plus heartbeat.py's `warning` (= `warn`), so
 * one operator vocabulary works for the agent and the server.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level as pino names it. */
export type PinoLevelName = Exclude<LogLevel, 'warning'>;

export function toPinoLevel(level: LogLevel): PinoLevelName {
  return level === 'warning' ? 'warn' : level;
}
