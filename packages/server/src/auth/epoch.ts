import type { DbOrTrx } from '../db/database.js';

/** The current auth epoch: it moves whenever a credential stops being valid (revocation, rebind). */
export async function readAuthEpoch(db: DbOrTrx): Promise<number> {
  const row = await db.selectFrom('auth_epoch').select('epoch').where('id', '=', 1).executeTakeFirst();
  return Number(row?.epoch ?? 0);
}

/** Tells every instance to forget the credentials it has cached (they see it within --auth-cache). */
export async function bumpAuthEpoch(db: DbOrTrx): Promise<void> {
  await db
    .updateTable('auth_epoch')
    .set((eb) => ({ epoch: eb('epoch', '+', 1) }))
    .where('id', '=', 1)
    .execute();
}
