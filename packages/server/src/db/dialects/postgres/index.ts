import { PostgresAdapter, sql, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { SqlDialect } from '../dialect.js';
import { insertIfAbsentOnConflict, insertReturningIdWithReturning, upsertOnConflict } from '../on-conflict.js';
import { insertManyWithJson } from '../insert-many.js';
import { untyped } from '../untyped.js';
import { lockRowsForUpdate } from '../row-locks.js';
import { openPostgres, runPreparedPostgres } from './connection.js';
import { classifyPostgresError } from './errors.js';
import { PreparedRegistry } from '../prepared-registry.js';

const hot = new PreparedRegistry();

/** Arbitrary constant naming act2-server's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 0x61637432; // "act2"

const byteOrder = (column: string) => sql<string>`${sql.ref(column)} collate "C"`;

/** PostgreSQL (pg): several act2-server instances share one database, READ COMMITTED. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  schemes: ['postgres', 'postgresql'],
  inProcess: false,
  open: (target, options) => openPostgres(target, options, hot),
  prepare: (name, text) => hot.register(name, text),
  runPrepared: runPreparedPostgres,
  owns: (db) => db.getExecutor().adapter instanceof PostgresAdapter,
  now: async (db) => {
    // clock_timestamp(), not now(): now() is frozen at the start of the transaction.
    const { rows } = await sql<{ now: number }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as now`.execute(db);
    const now = rows[0]?.now;
    if (now === undefined) throw new Error('database returned no time');
    return Number(now);
  },
  forUpdate: (query) => query.forUpdate() as typeof query,
  forShare: (query) => query.forShare() as typeof query,
  insertMany: insertManyWithJson,
  oneOf: (column, values) => sql<SqlBool>`${sql.ref(column)} = any(${[...values]}::text[])`,
  joinedRows: (values) => sql<string>`string_agg(${sql.join(values, sql` || chr(9) || `)}, chr(10))`,
  containsText: (column, needle) => sql<SqlBool>`strpos(${sql.ref(column)}, ${needle}) > 0`,
  jsonArrayRows: (column, alias, types) => ({
    join: sql`cross join json_array_elements(${sql.ref(column)}::json) as ${sql.id(alias)}`,
    item: (i) => (types[i] === 'int' ? sql`(${sql.id(alias)}->>${sql.lit(i)})::int` : sql`${sql.id(alias)}->>${sql.lit(i)}`),
  }),
  byteOrder,
  lockRows: lockRowsForUpdate(byteOrder),
  upsert: upsertOnConflict,
  insertIfAbsent: insertIfAbsentOnConflict,
  insertReturningId: insertReturningIdWithReturning,
  updateReturning: async (trx, spec) =>
    // Under READ COMMITTED an UPDATE that waited for a row lock re-checks its condition on the
    // new row version, so each row is changed by one caller. The sub-select takes the locks in
    // key order first, so two callers never hold locks the other waits for.
    (await untyped(trx)
      .updateTable(spec.table as string)
      .set(spec.set as never)
      .where(spec.where as never)
      .where(spec.key as string, 'in', (eb: ExpressionBuilder<any, string>) =>
        eb
          .selectFrom(spec.table as string)
          .select(spec.key as string)
          .where(spec.where as never)
          .orderBy(spec.key)
          .forUpdate(),
      )
      .returning([...spec.returning] as string[])
      .execute()) as never,
  classifyError: classifyPostgresError,
  withMigrationLock: (db, work) =>
    // A session lock on one pinned connection: instances that start together wait here, then
    // find nothing left to migrate. It goes with the session if the process dies.
    db.connection().execute(async (lockConnection) => {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(lockConnection);
      try {
        return await work();
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(lockConnection);
      }
    }),
};
