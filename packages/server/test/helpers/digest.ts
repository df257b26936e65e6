import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';

/** Events kept whole in the digest (the newest); older ones by count and newest id only. */
const NEWEST_EVENTS = 200;

/**
 * Everything a registration can change, as one comparable string: every row of masters, minions,
 * master_minions, minion_ips and of the auth tables, in primary-key order, hashed per table (so
 * a changed status, IP or timestamp shows, not only a changed row count), and the events by count,
 * newest id and the content of the newest {@link NEWEST_EVENTS}. Cheap enough to take around every
 * request of a fuzz run on a small database.
 */
export async function dbDigest(db: Kysely<Database>): Promise<string> {
  const tables = {
    masters: await db.selectFrom('masters').selectAll().orderBy('sn').execute(),
    minions: await db.selectFrom('minions').selectAll().orderBy('sn').execute(),
    master_minions: await db.selectFrom('master_minions').selectAll().orderBy('master_sn').orderBy('minion_sn').execute(),
    minion_ips: await db.selectFrom('minion_ips').selectAll().orderBy('master_sn').orderBy('minion_sn').orderBy('ip').execute(),
    api_tokens: await db.selectFrom('api_tokens').selectAll().orderBy('id').execute(),
    master_keys: await db.selectFrom('master_keys').selectAll().orderBy('sn').execute(),
    auth_epoch: await db.selectFrom('auth_epoch').selectAll().orderBy('id').execute(),
    newest_events: await db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(NEWEST_EVENTS).execute(),
  };
  const events = await sql<{ n: number; last: number | null }>`select count(*) as n, max(id) as last from events`.execute(db);
  const digest: Record<string, unknown> = { events: { n: Number(events.rows[0]!.n), last: events.rows[0]!.last === null ? null : Number(events.rows[0]!.last) } };
  for (const [table, rows] of Object.entries(tables)) {
    digest[table] = { rows: rows.length, sha256: createHash('sha256').update(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex').slice(0, 16) };
  }
  return JSON.stringify(digest);
}
