import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import type { Database } from '../../database.js';
import type { PreparedRegistry } from '../prepared-registry.js';

/** Opens (and creates, with its directory) the SQLite file; `:memory:` for a private in-memory database. */
export function openSqlite(file: string, hot: PreparedRegistry): Kysely<Database> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commit.
  database.pragma('synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(database, hot) }) });
}

/**
 * The database as Kysely sees it, keeping one prepared statement per hot text (Kysely's driver
 * prepares every query afresh: ~60 µs of parsing and planning per read vs ~25 µs reused). A
 * statement is only run to completion (`all`/`run`) by the driver, never left iterating, so one
 * instance can serve every call.
 */
function withStatementCache(database: SqliteDatabase.Database, hot: PreparedRegistry): SqliteDialectConfig['database'] {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      const cached = statements.get(sql);
      if (cached) return cached;
      const statement = database.prepare(sql);
      if (hot.nameOf(sql) !== undefined) statements.set(sql, statement);
      return statement;
    },
  };
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
