import type { Expression } from 'kysely';
import type { DbOrTrx } from '../database.js';
import { chunk } from '../chunk.js';
import type { SqlDialect } from './dialect.js';
import { untyped } from './untyped.js';

// Far below every dialect's bound-parameter limit.
const BATCH = 500;

/** `SELECT … FOR UPDATE` over `values` in byte order, for dialects with row locks. */
export function lockRowsForUpdate(byteOrder: (column: string) => Expression<string>): SqlDialect['lockRows'] {
  return async (trx: DbOrTrx, table, column, values) => {
    // JS sort orders by UTF-16 code units: byte order too, astral characters aside.
    const sorted = [...new Set(values)].sort();
    for (const batch of chunk(sorted, BATCH)) {
      await untyped(trx).selectFrom(table as string).select(column as string).where(column as string, 'in', batch).orderBy(byteOrder(column)).forUpdate().execute();
    }
  };
}
