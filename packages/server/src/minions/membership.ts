import type { MinionStatus } from '@act2/shared';
import { dialectOf } from '../db/dialects/index.js';
import type { DbOrTrx, EpochMs } from '../db/database.js';
import { chunk } from '../db/retry.js';

/** A master's report about one minion, as stored (ips and attrs as JSON text, compared as text). */
export interface Member {
  minion_sn: string;
  status: MinionStatus;
  ips: string;
  attrs: string | null;
}

/** What a registration changes in its master's minion set; every list sorted by minion sn. */
export interface MembershipChanges {
  joined: Member[];
  /** New value, and whether its IPs differ from the stored ones. */
  changed: Array<{ next: Member; previous: Member; ipsChanged: boolean }>;
  left: Member[];
}

// 7 columns × 500 rows stays far below SQLite's 32,766 and PostgreSQL's and MySQL's 65,535 bound parameters.
const BATCH = 500;

/** The master's whole current minion set in one query. */
export async function readMembership(trx: DbOrTrx, masterSn: string): Promise<Member[]> {
  return trx
    .selectFrom('master_minions')
    .select(['minion_sn', 'status', 'ips', 'attrs'])
    .where('master_sn', '=', masterSn)
    .execute();
}

/** One page of the master's minion set in sn order, after `afterSn` (keyset paging on the primary key). */
export async function readMembershipPage(db: DbOrTrx, masterSn: string, afterSn: string | undefined, limit: number): Promise<Member[]> {
  return db
    .selectFrom('master_minions')
    .select(['minion_sn', 'status', 'ips', 'attrs'])
    .where('master_sn', '=', masterSn)
    .$if(afterSn !== undefined, (q) => q.where('minion_sn', '>', afterSn!))
    .orderBy('minion_sn')
    .limit(limit)
    .execute();
}

/**
 * Writes exactly the changes: nothing at all for an identical snapshot. Rows are written in
 * minion-sn order so two masters reporting the same minions lock shared rows in the same order.
 */
export async function applyMembership(trx: DbOrTrx, masterSn: string, changes: MembershipChanges, now: EpochMs): Promise<void> {
  const upserts = [...changes.joined, ...changes.changed.map((c) => c.next)].sort(byMinionSn);
  const dialect = dialectOf(trx);
  await lockMinions(trx, [...upserts, ...changes.left]);
  for (const batch of chunk(upserts, BATCH)) {
    await dialect.upsert(trx, 'minions', batch.map((m) => ({ sn: m.minion_sn, first_seen: now, updated_at: now })), ['sn'], ['updated_at']);
    await dialect.upsert(
      trx,
      'master_minions',
      batch.map((m) => ({ master_sn: masterSn, ...m, joined_at: now, updated_at: now })),
      ['master_sn', 'minion_sn'],
      ['status', 'ips', 'attrs', 'updated_at'],
    );
  }

  const staleIps = [...changes.changed.filter((c) => c.ipsChanged).map((c) => c.next), ...changes.left].sort(byMinionSn);
  for (const batch of chunk(staleIps, BATCH)) {
    await trx
      .deleteFrom('minion_ips')
      .where('master_sn', '=', masterSn)
      .where('minion_sn', 'in', batch.map((m) => m.minion_sn))
      .execute();
  }
  const freshIps = [...changes.joined, ...changes.changed.filter((c) => c.ipsChanged).map((c) => c.next)].flatMap((m) =>
    (JSON.parse(m.ips) as string[]).map((ip) => ({ master_sn: masterSn, minion_sn: m.minion_sn, ip })),
  );
  for (const batch of chunk(freshIps, BATCH)) {
    await trx.insertInto('minion_ips').values(batch).execute();
  }

  for (const batch of chunk(changes.left.map((m) => m.minion_sn), BATCH)) {
    await trx.deleteFrom('master_minions').where('master_sn', '=', masterSn).where('minion_sn', 'in', batch).execute();
    // A minion no master reports any more is forgotten; one still reported elsewhere has changed.
    await trx
      .deleteFrom('minions')
      .where('sn', 'in', batch)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('master_minions').select('master_sn').whereRef('master_minions.minion_sn', '=', 'minions.sn'))),
      )
      .execute();
    await trx.updateTable('minions').set({ updated_at: now }).where('sn', 'in', batch).execute();
  }
}

/**
 * Locks the existing `minions` rows this registration touches, in one sn-ordered pass.
 * The orphan check below (`DELETE … WHERE NOT EXISTS (master_minions …)`) reads the statement's
 * snapshot; when another master is adding the same minion in a transaction still open, that
 * check would not see the new membership and would delete the row under it (even after waiting
 * for its lock; on MySQL under READ COMMITTED the subquery of a DELETE is a plain consistent
 * read too). Taking the lock first makes us wait for that transaction to end, and the DELETE, a
 * later statement, then sees what it committed. One pass in a single order also keeps two
 * masters that share minions from locking them in opposite orders. On SQLite the dialect's
 * `forUpdate` is a no-op: `begin immediate` already serialises registrations.
 */
async function lockMinions(trx: DbOrTrx, touched: readonly Member[]): Promise<void> {
  await dialectOf(trx).lockRows(trx, 'minions', 'sn', touched.map((m) => m.minion_sn));
}

function byMinionSn(a: Member, b: Member): number {
  return a.minion_sn < b.minion_sn ? -1 : a.minion_sn > b.minion_sn ? 1 : 0;
}
