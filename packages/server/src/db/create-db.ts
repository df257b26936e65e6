import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { parseDbTarget, type ServerConfig } from '../config.js';
import type { Database, DbOrTrx } from './database.js';

export type Dialect = 'sqlite' | 'postgres';

const PG_INT8_OID = 20;

export interface CreateDbOptions {
  /** Receives errors of idle PostgreSQL connections (a restart of the server, a dropped link). */
  log?: Pick<Logger, 'warn'>;
}

/** Opens the database `config.db` names: a PostgreSQL pool or a SQLite file (directory created). */
export function createDb(
  config: Pick<ServerConfig, 'db'> & Partial<Pick<ServerConfig, 'dbPoolSize' | 'dbStatementTimeoutMs' | 'dbLockTimeoutMs'>>,
  options: CreateDbOptions = {},
): Kysely<Database> {
  const target = parseDbTarget(config.db);
  if (target.dialect === 'postgres') {
    return createPostgres(
      target.url,
      { max: config.dbPoolSize ?? 10, statementMs: config.dbStatementTimeoutMs ?? 60_000, lockMs: config.dbLockTimeoutMs ?? 30_000 },
      options,
    );
  }
  return createSqlite(target.file);
}

function createPostgres(url: string, limits: { max: number; statementMs: number; lockMs: number }, options: CreateDbOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: limits.max,
    // Server-side limits, set per session: a stuck query or a lock held by a hung instance ends in
    // an error (503, the agent retries) instead of holding a pool connection for ever. A session
    // idle inside a transaction (an instance frozen mid-registration) is ended, releasing its locks.
    statement_timeout: limits.statementMs,
    lock_timeout: limits.lockMs,
    idle_in_transaction_session_timeout: limits.statementMs,
    // Fail fast while the database is down so requests get a 503 instead of hanging.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Epoch-millisecond bigints and counts fit a JS number; pg would return them as strings.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  // A connection that drops emits 'error' on its client; with no listener that would crash the
  // process. Idle clients report through the pool, checked-out ones through their own listener;
  // the pool then discards the broken client and connects afresh when the database is back.
  pool.on('error', (err) => options.log?.warn({ err }, 'idle database connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (err) => options.log?.warn({ err }, 'database connection failed'));
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function createSqlite(file: string): Kysely<Database> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commit.
  database.pragma('synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) });
}

/**
 * Kysely opens SQLite transactions with a deferred `begin`, which upgrades to a write lock on
 * the first write and can then fail with SQLITE_BUSY without waiting when another process holds
 * the lock. `begin immediate` takes the write lock up front, so busy_timeout applies.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #driverConfig: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#driverConfig = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#driverConfig);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

export function dialectOf(db: DbOrTrx): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
