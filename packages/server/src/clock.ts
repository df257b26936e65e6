import type { DbOrTrx, EpochMs } from './db/database.js';
import { dialectOf } from './db/dialects/index.js';

/**
 * "Now" in epoch milliseconds. Time comes from the server side, never from agents: the default
 * asks the database, so instances on one shared database agree even if their hosts' clocks
 * drift. Tests inject their own to drive time.
 */
export type Clock = (db: DbOrTrx) => Promise<EpochMs>;

export const databaseClock: Clock = (db) => dialectOf(db).now(db);

/**
 * "Now" for reads: like `Clock`, but answered synchronously when no query is needed (see
 * `offsetClock`), so a hot read that needs no other await stays synchronous. `await` works on both.
 */
export type ReadClock = (db: DbOrTrx) => EpochMs | Promise<EpochMs>;

/**
 * For reads: the database clock without a round trip per request. The offset between the
 * database's clock and this host's is measured at most every `refreshMs` and added to
 * `Date.now()`; a read judges timeouts (minutes) with at most the drift of `refreshMs` plus the
 * measuring query's latency. Writes keep asking the database (`databaseClock`).
 */
export function offsetClock(base: Clock, refreshMs = 1_000, local: () => number = Date.now): ReadClock {
  let offset = 0;
  let measuredAt = Number.NEGATIVE_INFINITY;
  let measuring: Promise<void> | undefined;
  const measure = async (db: DbOrTrx) => {
    const before = local();
    const dbNow = await base(db);
    const after = local();
    offset = dbNow - (before + after) / 2;
    measuredAt = after;
  };
  const measured = () => Math.round(local() + offset);
  return (db) => {
    const at = local();
    if (at - measuredAt < refreshMs) return Math.round(at + offset);
    measuring ??= measure(db).finally(() => {
      measuring = undefined;
    });
    return measuring.then(measured);
  };
}
