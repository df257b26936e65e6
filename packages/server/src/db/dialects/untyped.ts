import type { Kysely } from 'kysely';
import type { DbOrTrx } from '../database.js';

/**
 * The dialects' generic statements name their table by a type parameter, which Kysely cannot
 * type: they build on Kysely<any>, while the SqlDialect signatures keep their callers typed.
 */
export function untyped(db: DbOrTrx): Kysely<any> {
  return db as unknown as Kysely<any>;
}
