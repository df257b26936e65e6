import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type Kysely, type SqliteDialectConfig } from 'kysely';
import type { Database, DbOrTrx } from '../../database.js';
import { PoolHandles } from '../pool-handles.js';
import type { PreparedRegistry } from '../prepared-registry.js';

/** The database file and its hot statements, for running them without Kysely (see `runPreparedSqlite`). */
interface SqliteHandle {
  database: SqliteDatabase.Database;
  statement(sql: string): SqliteDatabase.Statement;
}

const handles = new PoolHandles<SqliteHandle>();

/** Opens (and creates, with its directory) the SQLite file; `:memory:` for a private in-memory database. */
export function openSqlite(file: string, hot: PreparedRegistry, mmapBytes = 0): Kysely<Database> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commit.
  database.pragma('synchronous = NORMAL');
  // Reads through a memory map instead of a read() per page into a 2 MiB cache: a lookup on a
  // 1M-minion file ~45% cheaper (BENCHMARKS.md). SQLite caps it at its compile-time maximum.
  if (mmapBytes > 0 && file !== ':memory:') database.pragma(`mmap_size = ${Math.floor(mmapBytes)}`);
  const handle = withStatementCache(database, hot);
  // SQLite's advice for long-lived connections: `optimize` with every table checked at open, then
  // now and then. It analyses with a row limit; the statistics of a full ANALYZE instead make every new
  // value bound to a hot read re-plan the statement (on a 1M-minion file `minions/{sn}` costs ~45 µs
  // per call after a full ANALYZE, ~15 µs with these statistics or none).
  optimize(database, 'optimize=0x10002');
  const timer = setInterval(() => optimize(database, 'optimize'), OPTIMIZE_EVERY_MS);
  timer.unref();
  const close = () => {
    clearInterval(timer);
    database.close();
  };
  return handles.open({ dialect: new ImmediateSqliteDialect({ database: { close, prepare: handle.statement } }) }, handle);
}

const OPTIMIZE_EVERY_MS = 3_600_000;

/** Statistics are an optimisation: a failure (a read-only or busy file) leaves the previous ones. */
function optimize(database: SqliteDatabase.Database, pragma: string): void {
  // Not inside a transaction Kysely holds open (its rollback would take the statistics with it).
  if (!database.open || database.inTransaction || database.memory) return;
  try {
    database.pragma(pragma);
  } catch {
    // Nothing to do: the next run tries again.
  }
}

/**
 * Runs a hot statement on the database directly, as Kysely's driver would (the same cached
 * statement, `all`), without its executor: no connection mutex, query id or promise chain per
 * read. Undefined (the caller goes through Kysely) for an instance bound to a transaction, and
 * while any transaction is open on the file: Kysely's mutex would make the read wait for its end,
 * and so must this one (it must not see the transaction's uncommitted rows).
 */
export function runPreparedSqlite(db: DbOrTrx, sql: string, parameters: readonly unknown[]): unknown[] | undefined {
  const handle = handles.of(db);
  if (handle === undefined || handle.database.inTransaction) return undefined;
  const statement = handle.statement(sql);
  // Only reads: Kysely runs the others (`run`, affected rows, insert id).
  if (!statement.reader) return undefined;
  // Synchronous, like the driver itself: an error is thrown to the caller.
  return statement.all(parameters) as unknown[];
}

/**
 * The database as Kysely sees it, keeping one prepared statement per hot text (Kysely's driver
 * prepares every query afresh: ~60 µs of parsing and planning per read vs ~25 µs reused). A
 * statement is only run to completion (`all`/`run`) by the driver, never left iterating, so one
 * instance can serve every call.
 */
function withStatementCache(database: SqliteDatabase.Database, hot: PreparedRegistry): SqliteHandle {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    database,
    statement: (sql: string) => {
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
