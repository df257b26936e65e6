import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time, like every migration (see 0002-auth.ts).

export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);
  // The idc of the register token that enrolled the key (null: a token of any idc): a key holder
  // may only register its master in that idc.
  await db.schema.alterTable('master_keys').addColumn('idc', t.key).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('master_keys').dropColumn('idc').execute();
}
