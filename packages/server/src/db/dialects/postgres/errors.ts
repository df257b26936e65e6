import type { DbErrorKind } from '../dialect.js';

// SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const RETRY = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const BUSY = new Set(['57014', '55P03']); // query_canceled (statement_timeout), lock_not_available (lock_timeout)
const UNIQUE = '23505';
// Connection exception, insufficient resources, operator intervention (admin shutdown, crash).
const UNAVAILABLE_CLASSES = ['08', '53', '57P'];
// pg's own messages for a connection that failed or went away (these carry no SQLSTATE).
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'connection is closed',
  'not queryable',
];

export function classifyPostgresError(err: unknown): DbErrorKind | undefined {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (RETRY.has(code)) return 'retry';
    if (BUSY.has(code)) return 'busy';
    if (code === UNIQUE) return 'unique';
    if (UNAVAILABLE_CLASSES.some((c) => code.startsWith(c))) return 'unavailable';
    return undefined;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return 'unavailable';
  return undefined;
}
