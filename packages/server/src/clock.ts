import type { DbOrTrx, EpochMs } from './db/database.js';
import { dialectOf } from './db/dialects/index.js';

/**
 * "Now" in epoch milliseconds. Time comes from the server side, never from agents: the default
 * asks the database, so instances on one shared database agree even if their hosts' clocks
 * drift. Tests inject their own to drive time.
 */
export type Clock = (db: DbOrTrx) => Promise<EpochMs>;

export const databaseClock: Clock = (db) => dialectOf(db).now(db);
