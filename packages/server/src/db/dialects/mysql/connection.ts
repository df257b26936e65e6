import { CompiledQuery, Kysely, MysqlDialect, type DatabaseConnection, type MysqlPool, type MysqlPoolConnection, type MysqlQueryResult } from 'kysely';
import { createPool, type Pool, type PoolConnection } from 'mysql2';
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
      // Large writes (a job's target chunks) over the binary protocol: see withLargeValuesBinary.
      pool: withLargeValuesBinary(pool),
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

/** String values in one statement (UTF-16 characters) from which the binary protocol is used. */
export const LARGE_VALUES_CHARS = 256 * 1024;

/** A prepared statement takes at most 65,535 placeholders (MySQL and MariaDB). */
const MAX_PREPARED_VALUES = 65_535;

const WRITE = /^\s*(?:insert|update)\s/i;
/** MariaDB's `INSERT … RETURNING` gives rows: they keep the text protocol's types. */
const RETURNING = /\breturning\b/i;

/** Whether `values` of `sql` go over the binary protocol. */
export function usesBinaryProtocol(sql: string, values: unknown): values is Array<string | number | null> {
  if (!Array.isArray(values) || values.length === 0 || values.length > MAX_PREPARED_VALUES || !WRITE.test(sql) || RETURNING.test(sql)) return false;
  let chars = 0;
  for (const value of values) {
    // Strings, numbers and nulls. On MariaDB mysql2 sends a number as a DOUBLE, exact for the integers
    // act2 writes (all below 2^53); MySQL 8 (not tested here) may get it typed from the prepare's
    // metadata instead. Any other value (a boolean, a bigint, a Buffer, a Date) keeps the text protocol.
    if (value !== null && typeof value !== 'string' && typeof value !== 'number') return false;
    if (typeof value === 'string') chars += value.length;
  }
  return chars >= LARGE_VALUES_CHARS;
}

/**
 * `pool` as Kysely sees it, large writes going over MySQL's binary protocol. Kysely sends every
 * statement with mysql2's `query`, which escapes each string value into the statement's text in
 * JavaScript: a job's ten target chunks (~760 KB of JSON) took 17-24 ms of its creation on MariaDB
 * (jobs bench). Statements `usesBinaryProtocol` picks go through `execute` instead (a prepared
 * statement, values as raw bytes: 77/69 -> 65/62 ms per job dispatch in the bench) and are unprepared
 * right after, so the server keeps no prepared statement. Each pool connection keeps one wrapper
 * (Kysely keys its connection state by the object it is given); BEGIN, COMMIT and streams go through
 * `query` on the same connection as before.
 */
export function withLargeValuesBinary(pool: Pool): MysqlPool {
  const wrappers = new WeakMap<PoolConnection, MysqlPoolConnection>();
  const wrap = (raw: PoolConnection): MysqlPoolConnection => {
    let wrapper = wrappers.get(raw);
    if (!wrapper) {
      wrapper = {
        query: ((sql: string, parameters: unknown[], callback?: (error: unknown, result: MysqlQueryResult) => void) => {
          if (callback && usesBinaryProtocol(sql, parameters)) {
            raw.execute(sql, parameters, (err, result) => {
              raw.unprepare(sql);
              callback(err, result as MysqlQueryResult);
            });
            return;
          }
          return callback ? raw.query(sql, parameters, (err, result) => callback(err, result as MysqlQueryResult)) : raw.query(sql, parameters);
        }) as MysqlPoolConnection['query'],
        release: () => raw.release(),
      };
      wrappers.set(raw, wrapper);
    }
    return wrapper;
  };
  return {
    getConnection: (callback) => pool.getConnection((err, raw) => callback(err, err ? (undefined as never) : wrap(raw))),
    end: (callback) => pool.end(callback),
  };
}
