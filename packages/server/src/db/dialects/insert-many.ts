import { sql } from 'kysely';
import type { Insertable } from 'kysely';
import type { Database, DbOrTrx } from '../database.js';
import { chunk } from '../chunk.js';
import { untyped } from './untyped.js';

/** Bound parameters per multi-row INSERT: under SQLite's limit (32,766), MySQL's and PostgreSQL's (65,535). */
const PARAMS_PER_INSERT = 30_000;

function columnsOf(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  return Object.keys(rows[0] ?? {});
}

/** Multi-row `INSERT … VALUES` statements as large as the bound-parameter limit allows. */
export async function insertManyWithValues<T extends keyof Database>(trx: DbOrTrx, table: T, rows: ReadonlyArray<Insertable<Database[T]>>): Promise<void> {
  if (rows.length === 0) return;
  const size = Math.max(1, Math.floor(PARAMS_PER_INSERT / Math.max(1, columnsOf(rows as ReadonlyArray<Record<string, unknown>>).length)));
  for (const batch of chunk(rows, size)) await untyped(trx).insertInto(table as string).values(batch as Array<Record<string, unknown>>).execute();
}

/**
 * PostgreSQL: one statement with one parameter, the rows as a JSON array read back as the table's
 * own row type (`json_populate_recordset`), so every column keeps its type without a cast list. Half
 * the time of 500-row `VALUES` statements for 10,000 rows: PostgreSQL parses one short statement
 * instead of tens of thousands of placeholders.
 */
export async function insertManyWithJson<T extends keyof Database>(trx: DbOrTrx, table: T, rows: ReadonlyArray<Insertable<Database[T]>>): Promise<void> {
  if (rows.length === 0) return;
  const columns = columnsOf(rows as ReadonlyArray<Record<string, unknown>>);
  const list = sql.join(columns.map((c) => sql.ref(c)));
  // 64 MiB of JSON at most per statement, well under PostgreSQL's 1 GiB value limit.
  const size = Math.max(1, Math.floor((64 * 1024 * 1024) / Math.max(1, JSON.stringify(rows[0]).length * 2)));
  for (const batch of chunk(rows, size)) {
    await sql`insert into ${sql.table(table as string)} (${list}) select ${list} from json_populate_recordset(null::${sql.table(table as string)}, ${JSON.stringify(batch)}::json)`.execute(trx);
  }
}
