import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, DbOrTrx } from '../database.js';
import type { ColumnOf, SqlDialect, TableWithId } from './dialect.js';

// The statements PostgreSQL and SQLite write the same way: `ON CONFLICT` and `RETURNING`.
// Kysely cannot type a table chosen by a type parameter, so these work on Kysely<any>; the
// SqlDialect signatures keep callers typed.

type Untyped = Kysely<any>;

export const upsertOnConflict: SqlDialect['upsert'] = async (trx, table, rows, key, update) => {
  if (rows.length === 0) return;
  await (trx as unknown as Untyped)
    .insertInto(table as string)
    .values(rows as never)
    .onConflict((oc) =>
      oc.columns([...key] as string[]).doUpdateSet(Object.fromEntries(update.map((column) => [column, sql.ref(`excluded.${column}`)])) as never),
    )
    .execute();
};

export const insertIfAbsentOnConflict: SqlDialect['insertIfAbsent'] = async (trx, table, row, key) => {
  const inserted = await (trx as unknown as Untyped)
    .insertInto(table as string)
    .values(row as never)
    .onConflict((oc) => oc.columns([...key] as string[]).doNothing())
    .returning(sql.lit(1).as('inserted'))
    .executeTakeFirst();
  return inserted !== undefined;
};

export async function insertReturningIdWithReturning<T extends TableWithId>(trx: DbOrTrx, table: T, row: Insertable<Database[T]>): Promise<number> {
  const inserted = await (trx as unknown as Untyped).insertInto(table as string).values(row as never).returning('id').executeTakeFirstOrThrow();
  return Number(inserted.id);
}

/** Untyped access for the dialects' generic statements. */
export function untyped(db: DbOrTrx): Untyped {
  return db as unknown as Untyped;
}

export type { ColumnOf };
