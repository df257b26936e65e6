import { sql } from 'kysely';
import { dialectOf } from './db/create-db.js';
import type { DbOrTrx, EpochMs } from './db/database.js';

/**
 * "Now" in epoch milliseconds. Time comes from the server side, never from agents: the default
 * asks the database, so instances on one PostgreSQL agree even if their hosts' clocks drift.
 * Tests inject their own to drive time.
 */
export type Clock = (db: DbOrTrx) => Promise<EpochMs>;

export const databaseClock: Clock = async (db) => {
  // SQLite is embedded: the process clock is the database host's clock.
  if (dialectOf(db) === 'sqlite') return Date.now();
  // clock_timestamp(), not now(): now() is frozen at the start of the transaction.
  const { rows } = await sql<{ now: number }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as now`.execute(db);
  const now = rows[0]?.now;
  if (now === undefined) throw new Error('database returned no time');
  return Number(now);
};
