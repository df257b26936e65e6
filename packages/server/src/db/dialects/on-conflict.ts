import { sql, type Insertable } from 'kysely';
import type { Database, DbOrTrx } from '../database.js';
import type { SqlDialect, TableWithId } from './dialect.js';
import { untyped } from './untyped.js';

// The statements PostgreSQL and SQLite write the same way: `ON CONFLICT` and `RETURNING`.

export const upsertOnConflict: SqlDialect['upsert'] = async (trx, table, rows, key, update) => {
  if (rows.length === 0) return;
  await untyped(trx)
    .insertInto(table as string)
    .values(rows as never)
    .onConflict((oc) =>
      oc.columns([...key] as string[]).doUpdateSet(Object.fromEntries(update.map((column) => [column, sql.ref(`excluded.${column}`)])) as never),
    )
    .execute();
};

export const insertIfAbsentOnConflict: SqlDialect['insertIfAbsent'] = async (trx, table, row, key) => {
  const inserted = await untyped(trx)
    .insertInto(table as string)
    .values(row as never)
    .onConflict((oc) => oc.columns([...key] as string[]).doNothing())
    .returning(sql.lit(1).as('inserted'))
    .executeTakeFirst();
  return inserted !== undefined;
};

export async function insertReturningIdWithReturning<T extends TableWithId>(trx: DbOrTrx, table: T, row: Insertable<Database[T]>): Promise<number> {
  const inserted = await untyped(trx).insertInto(table as string).values(row as never).returning('id').executeTakeFirstOrThrow();
  return Number(inserted.id);
}
