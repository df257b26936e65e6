import { sql, SqliteAdapter, type SqlBool } from 'kysely';
import type { SqlDialect } from '../dialect.js';
import { insertIfAbsentOnConflict, insertReturningIdWithReturning, upsertOnConflict } from '../on-conflict.js';
import { insertManyWithValues } from '../insert-many.js';
import { untyped } from '../untyped.js';
import { openSqlite, runPreparedSqlite } from './connection.js';
import { classifySqliteError } from './errors.js';
import { PreparedRegistry } from '../prepared-registry.js';

const hot = new PreparedRegistry();

/**
 * Embedded SQLite (better-sqlite3): one act2-server process per file. Transactions start with
 * `begin immediate`, so writers are serialised and row locks are never needed.
 */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  schemes: ['sqlite'],
  inProcess: true,
  open: (target, options) => openSqlite(target, hot, options.sqliteMmapBytes ?? 0),
  prepare: (name, text) => hot.register(name, text),
  runPrepared: (db, _name, text, parameters) => runPreparedSqlite(db, text, parameters),
  owns: (db) => db.getExecutor().adapter instanceof SqliteAdapter,
  // Embedded: the process clock is the database host's clock.
  now: async () => Date.now(),
  forUpdate: (query) => query,
  forShare: (query) => query,
  insertMany: insertManyWithValues,
  // SQLite's default BINARY collation compares UTF-8 bytes.
  oneOf: (column, values) => sql<SqlBool>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`,
  joinedRows: (values) => sql<string>`group_concat(${sql.join(values, sql` || char(9) || `)}, char(10))`,
  containsText: (column, needle) => sql<SqlBool>`instr(${sql.ref(column)}, ${needle}) > 0`,
  jsonArrayRows: (column, alias) => ({
    join: sql`cross join json_each(${sql.ref(column)}) as ${sql.id(alias)}`,
    item: (i) => sql`json_extract(${sql.ref(`${alias}.value`)}, ${sql.lit(`$[${i}]`)})`,
  }),
  byteOrder: (column) => sql.ref(column),
  lockRows: async () => undefined,
  upsert: upsertOnConflict,
  insertIfAbsent: insertIfAbsentOnConflict,
  insertReturningId: insertReturningIdWithReturning,
  updateReturning: async (trx, spec) =>
    (await untyped(trx)
      .updateTable(spec.table as string)
      .set(spec.set as never)
      .where(spec.where as never)
      .returning([...spec.returning] as string[])
      .execute()) as never,
  classifyError: classifySqliteError,
  withMigrationLock: (_db, work) => work(),
};
