import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';

/**
 * Everything a registration can change, as one comparable string: every master row (last_seen
 * included, so even an identical re-send shows), row counts and the newest event id. Cheap
 * enough to take around every request of a fuzz run on a small database.
 */
export async function dbDigest(db: Kysely<Database>): Promise<string> {
  const masters = await db
    .selectFrom('masters')
    .select(['sn', 'server', 'status', 'idc', 'type', 'username', 'password_enc', 'error', 'minion_count', 'last_seen', 'status_changed_at'])
    .orderBy('sn')
    .execute();
  const counts = await sql<{ mm: number; mi: number; ips: number; ev: number; last: number | null }>`
    select (select count(*) from master_minions) as mm, (select count(*) from minions) as mi,
           (select count(*) from minion_ips) as ips, (select count(*) from events) as ev, (select max(id) from events) as last`.execute(db);
  return JSON.stringify({ masters, counts: counts.rows[0] });
}
