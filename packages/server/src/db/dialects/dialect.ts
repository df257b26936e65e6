import type { Expression, ExpressionBuilder, Generated, Insertable, Kysely, RawBuilder, SelectQueryBuilder, SqlBool } from 'kysely';
import type { Logger } from 'pino';
import type { Database, DbOrTrx, EpochMs } from '../database.js';

/** The databases act2-server runs on; every value has a folder beside this file. */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/**
 * What a database error means for the caller, the same on every dialect:
 * - `retry`: the database aborted the transaction to break a deadlock or a serialization conflict;
 *   running the whole transaction again is the fix ({@link withTxRetry} does it).
 * - `busy`: a statement or a lock wait ran into our timeout (SQLite: the file stayed locked past
 *   busy_timeout): answer 503 and let the client retry the whole request.
 * - `unavailable`: the connection failed or was lost: 503, the pool reconnects on its own once
 *   the database is back.
 * - `unique`: a unique or primary key violation.
 */
export type DbErrorKind = 'retry' | 'busy' | 'unavailable' | 'unique';

/** Connection settings every dialect receives; each applies those its database has. */
export interface ConnectionOptions {
  /** Connections per instance (PostgreSQL, MySQL). */
  poolSize: number;
  /** No single statement may run longer (PostgreSQL statement_timeout, MariaDB max_statement_time, MySQL max_execution_time). */
  statementTimeoutMs: number;
  /** No statement waits longer for a row lock (PostgreSQL lock_timeout, InnoDB innodb_lock_wait_timeout). */
  lockTimeoutMs: number;
  /** SQLite: `PRAGMA mmap_size` (0: off). */
  sqliteMmapBytes?: number | undefined;
  /** Receives errors of idle connections (a restart of the database, a dropped link). */
  log?: Pick<Logger, 'warn'> | undefined;
}

/** Tables with a generated numeric `id`. */
export type TableWithId = {
  [K in keyof Database]: Database[K] extends { id: Generated<number> } ? K : never;
}[keyof Database];

/** A table's column names, for the generic statements below. */
export type ColumnOf<T extends keyof Database> = keyof Database[T] & string;

/**
 * One database's way of doing the few things SQL does not say the same way everywhere. A
 * repository never asks which database it runs on: it calls `dialectOf(db)` and these methods
 * (see README.md beside this file). Everything else is plain Kysely and runs on all three.
 * Column types (keys, JSON as text, epoch-millisecond BIGINTs, generated ids) are chosen where
 * tables are created, in `db/migrations/column-types.ts`, so the values read back are the same
 * JS types everywhere.
 */
export interface SqlDialect {
  readonly name: DialectName;
  /** `--db` URL schemes that select this dialect (without `:`/`://`). */
  readonly schemes: readonly string[];
  /**
   * Statements run synchronously on the event loop, on one connection served by one process
   * (SQLite). Long work is then cut into short transactions that yield between them, and an
   * in-process lock is enough to serialise work on one row (see register/chunked.ts).
   */
  readonly inProcess: boolean;

  /** Opens the pool (or file) `target` names. */
  open(target: string, options: ConnectionOptions): Kysely<Database>;
  /** True when `db` was opened by this dialect (decided by the Kysely adapter). */
  owns(db: DbOrTrx): boolean;

  /**
   * Marks `sql` (the text of a compiled query, see db/prepared.ts) as hot: the connection then
   * reuses one prepared statement for it instead of parsing and planning it on every call
   * (SQLite: once per process; PostgreSQL: a named statement per connection; MySQL: no-op).
   * `name` is unique per text and short (PostgreSQL statement names are at most 63 bytes).
   */
  prepare(name: string, sql: string): void;

  /**
   * Runs the hot statement `sql` (registered with {@link prepare} as `name`) straight on the
   * driver, without Kysely's query executor: the same prepared statement, pool and errors, less
   * work per call. Undefined when `db` cannot be served that way (an instance bound to a
   * transaction or one connection; SQLite while a transaction is open; MySQL): the caller then
   * runs the statement through Kysely. An in-process driver (SQLite) answers with the rows
   * themselves, a server with a promise of them.
   */
  runPrepared(db: DbOrTrx, name: string, sql: string, parameters: readonly unknown[]): unknown[] | Promise<unknown[]> | undefined;

  /** The database clock in epoch milliseconds, read now (not at the start of the transaction). */
  now(db: DbOrTrx): Promise<EpochMs>;

  /**
   * Adds `FOR UPDATE` where rows can be locked. On SQLite it returns the query unchanged:
   * `begin immediate` already serialises every writing transaction.
   */
  forUpdate<Q extends SelectQueryBuilder<Database, keyof Database, unknown>>(query: Q): Q;

  /**
   * Adds a shared row lock (`FOR SHARE`, MySQL/MariaDB `LOCK IN SHARE MODE`): several transactions may
   * hold it at once, an UPDATE of the row waits until they end. Unchanged on SQLite (`begin immediate`).
   */
  forShare<Q extends SelectQueryBuilder<Database, keyof Database, unknown>>(query: Q): Q;

  /**
   * `column` is one of `values`, with the list bound as one parameter where the database takes one
   * (PostgreSQL `= any($1::text[])`, SQLite `in (select value from json_each(?))`), so thousands of
   * values are one short statement, not batches of bound parameters; MySQL: one `IN` list (its text
   * protocol has no parameter limit, and JSON_TABLE's collation defeats the index on a binary column).
   */
  oneOf(column: string, values: readonly string[]): Expression<SqlBool>;

  /**
   * A JSON array of arrays held in text column `column` (of a table earlier in the FROM clause), as rows:
   * `join` is the FROM item to append (`cross join …`, one row per element), `item(i)` the element's
   * i-th item (`types[i]`: `int`, `key` up to 255 characters, or `text`; SQL NULL for JSON null). Lets
   * an INSERT … SELECT turn a stored JSON document into rows without sending them from the application.
   */
  jsonArrayRows(column: string, alias: string, types: ReadonlyArray<'int' | 'key' | 'text'>): { join: RawBuilder<unknown>; item(i: number): RawBuilder<unknown> };

  /**
   * Text column `column` contains `needle`, character for character (PostgreSQL `strpos`, SQLite
   * `instr`, MySQL `locate` of the needle's bytes): a cheap test that reads no JSON, to put before an exact one.
   */
  containsText(column: string, needle: string): Expression<SqlBool>;

  /**
   * An aggregate: the group's rows as one text, a line each (`\n` between rows), each line `values`
   * (text holding no tab or line break) with a tab between them. Thousands of rows then come back as a
   * few long strings (SQLite `group_concat`, PostgreSQL `string_agg`); the caller keeps a group's text
   * well below 2^29 characters, the longest string V8 holds. Undefined on MySQL/MariaDB, whose
   * `group_concat` is cut at `group_concat_max_len` and a row at `max_allowed_packet`: read the rows there.
   */
  joinedRows(values: ReadonlyArray<Expression<string>>): RawBuilder<string> | undefined;

  /** An ORDER BY expression that sorts text by bytes (UTF-8 order) whatever the column's collation. */
  byteOrder(column: string): Expression<string>;

  /**
   * Locks the existing rows whose text `column` is one of `values` until the transaction ends,
   * in byte order of `column` (so two transactions locking overlapping sets cannot deadlock),
   * in batches. A no-op on SQLite, where `begin immediate` already serialises writers.
   */
  lockRows<T extends keyof Database>(trx: DbOrTrx, table: T, column: ColumnOf<T>, values: readonly string[]): Promise<void>;

  /**
   * Inserts `rows`, or where a row with the same `key` exists, overwrites its `update` columns
   * with the incoming values (`ON CONFLICT … DO UPDATE` / `ON DUPLICATE KEY UPDATE`).
   */
  upsert<T extends keyof Database>(
    trx: DbOrTrx,
    table: T,
    rows: ReadonlyArray<Insertable<Database[T]>>,
    key: ReadonlyArray<ColumnOf<T>>,
    update: ReadonlyArray<ColumnOf<T>>,
  ): Promise<void>;

  /**
   * Inserts `row` unless a row with the same `key` exists (or is being inserted by a transaction
   * that then commits): true when this call inserted it. Never aborts the transaction.
   */
  insertIfAbsent<T extends keyof Database>(trx: DbOrTrx, table: T, row: Insertable<Database[T]>, key: ReadonlyArray<ColumnOf<T>>): Promise<boolean>;

  /**
   * Inserts many rows of the same columns (the first row's keys) in as few statements as the database
   * takes: multi-row VALUES up to the bound-parameter limit; on PostgreSQL one JSON parameter.
   */
  insertMany<T extends keyof Database>(trx: DbOrTrx, table: T, rows: ReadonlyArray<Insertable<Database[T]>>): Promise<void>;

  /** Inserts one row into a table whose `id` the database generates, and returns that id. */
  insertReturningId<T extends TableWithId>(trx: DbOrTrx, table: T, row: Insertable<Database[T]>): Promise<number>;

  /**
   * One conditional UPDATE over many rows and the rows it changed, each read after the change:
   * the affected rows decide, so of several instances running it at once each row is changed
   * (and reported) by exactly one. Rows are locked in `key` order so concurrent callers cannot
   * deadlock each other. For a single row, `numUpdatedRows` of a plain update tells the
   * same on every dialect (MySQL counts matched rows, as PostgreSQL and SQLite do).
   */
  updateReturning<T extends keyof Database, R extends ColumnOf<T>>(
    trx: DbOrTrx,
    spec: UpdateReturningSpec<T, R>,
  ): Promise<Array<Pick<Database[T], R>>>;

  /** What a thrown error means, or undefined when it is none of the {@link DbErrorKind}s. */
  classifyError(err: unknown): DbErrorKind | undefined;

  /**
   * Runs `work` while holding a lock that every instance on the same database shares, so
   * instances starting together migrate once (PostgreSQL advisory lock, MySQL GET_LOCK; a SQLite
   * file has one act2-server process).
   */
  withMigrationLock<T>(db: Kysely<Database>, work: () => Promise<T>): Promise<T>;
}

export interface UpdateReturningSpec<T extends keyof Database, R extends ColumnOf<T>> {
  table: T;
  set: Partial<Database[T]>;
  /** The condition; it is evaluated again on each row after its lock is taken. */
  where: (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool>;
  /** The primary key column, also the locking order. */
  key: ColumnOf<T>;
  returning: readonly R[];
}
