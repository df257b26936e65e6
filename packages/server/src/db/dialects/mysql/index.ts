import { MysqlAdapter, sql, type SqlBool } from 'kysely';
import type { SqlDialect } from '../dialect.js';
import { insertManyWithValues } from '../insert-many.js';
import { untyped } from '../untyped.js';
import { lockRowsForUpdate } from '../row-locks.js';
import { openMysql } from './connection.js';
import { classifyMysqlError } from './errors.js';

/** GET_LOCK name of act2-server's migrations (Kysely's migrator takes its own, differently named). */
const MIGRATION_LOCK = 'act2_server_migrations';
/** How long an instance waits for another one's migrations before giving up. */
const MIGRATION_LOCK_WAIT_S = 600;
/** The lock holder's idle limit while migrations run on other connections (MySQL's own default). */
const MIGRATION_IDLE_S = 28_800;

const byteOrder = (column: string) => sql<string>`cast(${sql.ref(column)} as binary)`;

/**
 * MySQL 8+ and MariaDB 10.11+ (mysql2), InnoDB, READ COMMITTED (see connection.ts). Only syntax
 * both servers accept: `VALUES(col)` in ON DUPLICATE KEY UPDATE (MariaDB has no row alias), no
 * RETURNING on UPDATE (neither has it).
 */
export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  schemes: ['mysql', 'mariadb'],
  inProcess: false,
  open: openMysql,
  // No statement is kept prepared: mysql2's `execute` keeps one per text and connection without bound
  // (and MariaDB 16,382 for the whole server). Large writes alone are prepared and closed at once
  // (connection.ts, withLargeValuesBinary).
  prepare: () => undefined,
  runPrepared: () => undefined,
  owns: (db) => db.getExecutor().adapter instanceof MysqlAdapter,
  now: async (db) => {
    // The session time zone is UTC (connection.ts), so the conversion is exact all year.
    const { rows } = await sql<{ now: number | string }>`select cast(unix_timestamp(now(3)) * 1000 as signed) as now`.execute(db);
    const now = rows[0]?.now;
    if (now === undefined) throw new Error('database returned no time');
    return Number(now);
  },
  forUpdate: (query) => query.forUpdate() as typeof query,
  forShare: (query) => query.modifyEnd(sql`lock in share mode`) as typeof query,
  insertMany: insertManyWithValues,
  oneOf: (column, values) => (values.length === 0 ? sql<SqlBool>`false` : sql<SqlBool>`${sql.ref(column)} in (${sql.join([...values])})`),
  joinedRows: () => undefined,
  // Bytes: `instr` on a utf8mb4 column searches character by character (16 jobs of 10 chunks of
  // 1,000 targets: 90-140 ms a scan on MariaDB; a binary needle: 14 ms).
  containsText: (column, needle) => sql<SqlBool>`locate(cast(${needle} as binary), ${sql.ref(column)}) > 0`,
  jsonArrayRows: (column, alias, types) => ({
    join: sql`cross join json_table(${sql.ref(column)}, '$[*]' columns (${sql.join(
      types.map((type, i) => sql`${sql.id(`c${i}`)} ${sql.raw(type === 'int' ? 'bigint' : type === 'key' ? 'varchar(255)' : 'mediumtext')} path ${sql.lit(`$[${i}]`)}`),
    )})) as ${sql.id(alias)}`,
    item: (i) => sql.ref(`${alias}.c${i}`),
  }),
  byteOrder,
  lockRows: lockRowsForUpdate(byteOrder),
  upsert: async (trx, table, rows, _key, update) => {
    if (rows.length === 0) return;
    // The key is whichever unique key the row collides with: the table's primary key here.
    await untyped(trx)
      .insertInto(table as string)
      .values(rows as never)
      .onDuplicateKeyUpdate(Object.fromEntries(update.map((column) => [column, sql`values(${sql.ref(column)})`])) as never)
      .execute();
  },
  insertIfAbsent: async (trx, table, row) => {
    // A failed statement does not abort a MySQL transaction, so a duplicate can simply be caught.
    // (INSERT IGNORE would also turn truncation and other errors into warnings; ON DUPLICATE KEY
    // UPDATE reports 1 row for both outcomes while FOUND_ROWS is on.)
    try {
      await untyped(trx).insertInto(table as string).values(row as never).execute();
      return true;
    } catch (err) {
      if (classifyMysqlError(err) === 'unique') return false;
      throw err;
    }
  },
  insertReturningId: async (trx, table, row) => {
    const result = await untyped(trx).insertInto(table as string).values(row as never).executeTakeFirstOrThrow();
    if (result.insertId === undefined) throw new Error(`insert into ${table} returned no id`);
    return Number(result.insertId);
  },
  updateReturning: async (trx, spec) => {
    // No UPDATE … RETURNING: lock the rows that match (in key order, re-checking the condition
    // on each row once its lock is ours), then update exactly those. Rows locked here cannot
    // change before the commit, so what was read is what the update changed.
    const columns: string[] = [...new Set<string>([spec.key, ...spec.returning])];
    const locked = (await untyped(trx)
      .selectFrom(spec.table as string)
      .select(columns)
      .where(spec.where as never)
      .orderBy(spec.key as string)
      .forUpdate()
      .execute()) as Array<Record<string, unknown>>;
    if (locked.length === 0) return [];
    const result = await untyped(trx)
      .updateTable(spec.table as string)
      .set(spec.set as never)
      .where(spec.where as never)
      .where(spec.key as string, 'in', locked.map((row) => row[spec.key]))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== locked.length) {
      throw new Error(`conditional update of ${spec.table} changed ${result.numUpdatedRows} of the ${locked.length} rows it locked`);
    }
    return locked.map((row) => Object.fromEntries(spec.returning.map((c) => [c, c in spec.set ? (spec.set as Record<string, unknown>)[c] : row[c]]))) as never;
  },
  classifyError: classifyMysqlError,
  withMigrationLock: (db, work) =>
    // GET_LOCK belongs to the session: held on one pinned connection, released by the server if
    // the process dies. That connection sits idle while the migrations run on others, so its
    // wait_timeout (set to the statement timeout, connection.ts) is lifted meanwhile: a long
    // migration must not lose its lock to the idle timeout.
    db.connection().execute(async (lockConnection) => {
      const { rows: idle } = await sql<{ s: number | string }>`select @@session.wait_timeout as s`.execute(lockConnection);
      await sql`set session wait_timeout = ${sql.lit(MIGRATION_IDLE_S)}`.execute(lockConnection);
      try {
        const { rows } = await sql<{ got: number | null }>`select get_lock(${MIGRATION_LOCK}, ${MIGRATION_LOCK_WAIT_S}) as got`.execute(lockConnection);
        if (Number(rows[0]?.got) !== 1) throw new Error(`another instance held the migration lock for more than ${MIGRATION_LOCK_WAIT_S} s`);
        try {
          return await work();
        } finally {
          await sql`select release_lock(${MIGRATION_LOCK})`.execute(lockConnection);
        }
      } finally {
        await sql`set session wait_timeout = ${sql.lit(Number(idle[0]?.s ?? MIGRATION_IDLE_S))}`.execute(lockConnection);
      }
    }),
};
