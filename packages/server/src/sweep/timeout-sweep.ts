import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { dialectOf } from '../db/dialects/index.js';
import type { Database, EpochMs } from '../db/database.js';
import { withTxRetry } from '../db/retry.js';
import { insertEvents } from '../events/repository.js';

export interface SweepOptions {
  now: EpochMs;
  masterTimeoutMs: number;
  instanceId: string;
  log?: Pick<FastifyBaseLogger, 'info'>;
}

export interface TimedOutMaster {
  sn: string;
  last_seen: EpochMs;
}

/**
 * Marks every master silent for longer than the timeout as `timeout`, with ONE conditional
 * update (the dialect's `updateReturning`: the affected rows decide), and records a
 * `master.timeout` event for exactly the rows it changed, in the same transaction. A concurrent
 * sweep (or registration) that locked a row first makes the condition be checked again on the
 * new row, so each transition happens, and is recorded, once however many instances sweep at
 * the same time.
 */
export async function sweepTimeouts(db: Kysely<Database>, options: SweepOptions): Promise<TimedOutMaster[]> {
  const cutoff = options.now - options.masterTimeoutMs;
  const timedOut = await withTxRetry(() =>
    db.transaction().execute(async (trx) => {
      const rows = await dialectOf(trx).updateReturning(trx, {
        table: 'masters',
        set: { status: 'timeout', status_changed_at: options.now },
        where: (eb) => eb.and([eb('status', '<>', 'timeout'), eb('last_seen', '<', cutoff)]),
        key: 'sn',
        returning: ['sn', 'last_seen'],
      });
      await insertEvents(
        trx,
        rows.map((r) => ({
          kind: 'master.timeout' as const,
          master_sn: r.sn,
          detail: { last_seen_ms: Number(r.last_seen), timeout_ms: options.masterTimeoutMs, detected_by: 'sweep' },
        })),
        { instanceId: options.instanceId, at: options.now },
      );
      return rows.map((r) => ({ sn: r.sn, last_seen: Number(r.last_seen) }));
    }),
  );
  for (const master of timedOut) {
    options.log?.info({ sn: master.sn, event: 'master.timeout', last_seen_ms: master.last_seen }, 'master timed out');
  }
  return timedOut;
}
