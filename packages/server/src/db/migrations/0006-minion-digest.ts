import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time, like every migration (see 0002-auth.ts).

export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);
  // The digest of the master's stored minion set (null: unknown, compute it from the next
  // registration): an identical re-send is recognised without reading and diffing the set.
  await db.schema.alterTable('masters').addColumn('minion_digest', t.key).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('masters').dropColumn('minion_digest').execute();
}
