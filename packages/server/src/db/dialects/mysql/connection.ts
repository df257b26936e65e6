import { CompiledQuery, Kysely, MysqlDialect, type DatabaseConnection } from 'kysely';
import { createPool } from 'mysql2';
import type { Database } from '../../database.js';
import { registerPoolStats } from '../../pool-stats.js';
import type { ConnectionOptions } from '../dialect.js';

/**
 * A mysql2 pool on `url` (`mysql://user:pass@host:3306/db`), for MariaDB 10.11+ and MySQL 8+.
 * Every session gets the same settings, whichever server it talks to: READ COMMITTED (as on
 * PostgreSQL: no gap locks between registrations, every statement sees what committed before
 * it), UTC, strict mode, and our lock, statement and idle limits.
 */
export function openMysql(url: string, options: ConnectionOptions): Kysely<Database> {
  const lockSeconds = Math.max(1, Math.ceil(options.lockTimeoutMs / 1000));
  // A session idle this long is ended by the server: an instance frozen inside a transaction
  // releases its locks (PostgreSQL: idle_in_transaction_session_timeout).
  const idleSeconds = Math.max(2, Math.ceil(options.statementTimeoutMs / 1000));
  const pool = createPool({
    uri: url,
    connectionLimit: options.poolSize,
    // The pool closes its idle connections before the server's wait_timeout would.
    maxIdle: options.poolSize - 1,
    idleTimeout: Math.min(30_000, (idleSeconds * 1000) / 2),
    // Fail fast while the database is down so requests get a 503 instead of hanging.
    connectTimeout: 5_000,
    enableKeepAlive: true,
    charset: 'utf8mb4',
    // Our times are epoch-millisecond BIGINTs; these keep the driver from guessing otherwise.
    timezone: 'Z',
    dateStrings: true,
    // FOUND_ROWS stays on (mysql2's default): an UPDATE reports the rows it matched, as on
    // PostgreSQL and SQLite, so `numUpdatedRows` means the same on every dialect.
  });
  // An idle connection the server closed emits 'error'; mysql2 then drops it from the pool.
  pool.on('connection', (connection) => {
    connection.on('error', (err) => options.log?.warn({ err }, 'database connection failed'));
  });
  // mysql2 keeps its queues on the pool object (not a documented API: read defensively, for metrics only).
  const queues = pool as unknown as { _allConnections?: { length: number }; _freeConnections?: { length: number }; _connectionQueue?: { length: number } };
  const db = new Kysely<Database>({
    dialect: new MysqlDialect({
      pool,
      onCreateConnection: async (connection) => {
        const server = await serverKind(connection);
        for (const statement of [
          'set session transaction isolation level read committed',
          "set session time_zone = '+00:00'",
          "set session sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'",
          `set session innodb_lock_wait_timeout = ${lockSeconds}`,
          `set session wait_timeout = ${idleSeconds}`,
          // MariaDB limits every statement; MySQL only SELECTs (max_execution_time).
          server === 'mariadb'
            ? `set session max_statement_time = ${options.statementTimeoutMs / 1000}`
            : `set session max_execution_time = ${options.statementTimeoutMs}`,
        ]) {
          await connection.executeQuery(CompiledQuery.raw(statement));
        }
      },
    }),
  });
  return registerPoolStats(db, () => ({
    total: queues._allConnections?.length ?? 0,
    idle: queues._freeConnections?.length ?? 0,
    waiting: queues._connectionQueue?.length ?? 0,
  }));
}

async function serverKind(connection: DatabaseConnection): Promise<'mariadb' | 'mysql'> {
  const { rows } = await connection.executeQuery<{ version: string }>(CompiledQuery.raw('select version() as version'));
  return /mariadb/i.test(rows[0]?.version ?? '') ? 'mariadb' : 'mysql';
}
