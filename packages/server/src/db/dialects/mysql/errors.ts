import type { DbErrorKind } from '../dialect.js';

// mysql2 puts the server's error name in `code` (`ER_…`) and its number in `errno`.
const RETRY = new Set(['ER_LOCK_DEADLOCK', 'ER_CHECKREAD']); // 1213, 1020 (record changed since last read)
const BUSY = new Set([
  'ER_LOCK_WAIT_TIMEOUT', // 1205: innodb_lock_wait_timeout
  'ER_STATEMENT_TIMEOUT', // MariaDB 1969: max_statement_time
  'ER_QUERY_TIMEOUT', // MySQL 3024: max_execution_time
  'ER_QUERY_INTERRUPTED', // 1317
]);
const UNIQUE = new Set(['ER_DUP_ENTRY', 'ER_DUP_ENTRY_WITH_KEY_NAME']);
const UNAVAILABLE = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR', // 1040: too many connections
  'ER_SERVER_SHUTDOWN', // 1053
  'ER_CONNECTION_KILLED', // 1927 (MariaDB)
  'ER_CLIENT_INTERACTION_TIMEOUT', // 4031 (MySQL 8): disconnected for inactivity
]);
// mysql2's own errors on a connection that is gone carry no code.
const UNAVAILABLE_MESSAGES = ["Can't add new command when connection is in closed state", 'Connection lost'];

export function classifyMysqlError(err: unknown): DbErrorKind | undefined {
  const { code, fatal, message } = (err ?? {}) as { code?: unknown; fatal?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (RETRY.has(code)) return 'retry';
    if (BUSY.has(code)) return 'busy';
    if (UNIQUE.has(code)) return 'unique';
    if (UNAVAILABLE.has(code)) return 'unavailable';
  }
  // mysql2 marks every error that ended the connection as fatal.
  if (fatal === true) return 'unavailable';
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return 'unavailable';
  return undefined;
}
