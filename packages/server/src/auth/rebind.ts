import type { Kysely } from 'kysely';
import type { Database, EpochMs } from '../db/database.js';
import { insertEvents } from '../events/repository.js';
import { releaseMasterKey } from './master-keys.js';

export interface RebindResult {
  released: boolean;
  enrolledBy?: string;
  since?: EpochMs;
}

/**
 * Releases the key master `sn` is bound to, in one transaction with its `master.rebind` event
 * (`by`: who did it) and the auth epoch bump that makes every instance drop the old key within
 * --auth-cache. The next registration of `sn` with a register token enrolls it again.
 */
export async function rebindMaster(db: Kysely<Database>, sn: string, stamp: { by: string; instanceId: string; at: EpochMs }): Promise<RebindResult> {
  return db.transaction().execute(async (trx) => {
    const result = await releaseMasterKey(trx, sn);
    if (result.released) {
      await insertEvents(trx, [{ kind: 'master.rebind', master_sn: sn, detail: { enrolled_by: result.enrolledBy, bound_at_ms: result.since, by: stamp.by } }], {
        instanceId: stamp.instanceId,
        at: stamp.at,
      });
    }
    return result;
  });
}
