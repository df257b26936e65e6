import type { DbOrTrx, EpochMs } from '../db/database.js';
import { dialectOf } from '../db/dialects/index.js';
import { bumpAuthEpoch } from './epoch.js';

/** The master a key belongs to, if the key (its hash) is bound, and the idc it is limited to. */
export async function findMasterByKeyHash(db: DbOrTrx, keyHash: string): Promise<{ sn: string; idc: string | null } | undefined> {
  return db.selectFrom('master_keys').select(['sn', 'idc']).where('key_hash', '=', keyHash).executeTakeFirst();
}

/** The hash of the key `sn` is bound to, if any. */
export async function findMasterKeyHash(db: DbOrTrx, sn: string): Promise<string | undefined> {
  const row = await db.selectFrom('master_keys').select('key_hash').where('sn', '=', sn).executeTakeFirst();
  return row?.key_hash;
}

/**
 * Binds `sn` to a key, limited to `idc` (the enrolling token's, null for none); false when it
 * already is bound (another instance enrolled it first).
 */
export async function bindMasterKey(
  db: DbOrTrx,
  binding: { sn: string; keyHash: string; enrolledBy: string; idc: string | null },
  now: EpochMs,
): Promise<boolean> {
  const row = { sn: binding.sn, key_hash: binding.keyHash, enrolled_by: binding.enrolledBy, created_at: now, idc: binding.idc };
  return dialectOf(db).insertIfAbsent(db, 'master_keys', row, ['sn']);
}

/** Releases the binding (`master rebind`): the next registration with a register token enrolls it afresh. */
export async function releaseMasterKey(db: DbOrTrx, sn: string): Promise<{ released: boolean; enrolledBy?: string; since?: EpochMs }> {
  const row = await db.selectFrom('master_keys').select(['enrolled_by', 'created_at']).where('sn', '=', sn).executeTakeFirst();
  if (!row) return { released: false };
  await db.deleteFrom('master_keys').where('sn', '=', sn).execute();
  await bumpAuthEpoch(db);
  return { released: true, enrolledBy: row.enrolled_by, since: Number(row.created_at) };
}
