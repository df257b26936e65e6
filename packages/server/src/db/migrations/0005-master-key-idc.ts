import { sql, type Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time, like every migration (see 0002-auth.ts).

export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);
  // The idc of the register token that enrolled the key (null: a token of any idc): a key holder
  // may only register its master in that idc.
  await db.schema.alterTable('master_keys').addColumn('idc', t.key).execute();
  // Keys enrolled before this migration take the idc of the token that enrolled them
  // (`enrolled_by` is `token:<name>`; substr, not concatenation: `||` is OR on MySQL).
  await sql`
    update master_keys set idc = (
      select api_tokens.idc from api_tokens where api_tokens.name = substr(master_keys.enrolled_by, 7)
    )
    where enrolled_by like 'token:%'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('master_keys').dropColumn('idc').execute();
}
