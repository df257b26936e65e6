import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { dialectOf } from '../db/dialects/index.js';
import type { Database, DbOrTrx, EpochMs } from '../db/database.js';
import { chunk, withTxRetry } from '../db/retry.js';
import { insertEvents } from '../events/repository.js';

/** How often every instance purges: the cut-offs are days, so minutes of lag do not matter. */
export const PURGE_INTERVAL_MS = 10 * 60_000;

/** Masters deleted per transaction (PuppetDB's node-purge batch). */
export const PURGE_BATCH = 25;
/** Events deleted per statement. */
export const EVENTS_BATCH = 1000;
/** One run stops after this many batches; the next run goes on (keeps a backlog from hogging the database). */
const MAX_BATCHES_PER_RUN = 40;

export interface PurgeSettings {
  now: EpochMs;
  /** 0 = never purge masters. */
  purgeAfterMs: number;
  /** 0 = keep events for ever. */
  eventsRetentionMs: number;
  instanceId: string;
  log?: Pick<FastifyBaseLogger, 'info'>;
}

export interface PurgedMaster {
  sn: string;
  /** Minions forgotten with it (no other master reports them). */
  minions: string[];
}

export interface PurgeResult {
  masters: PurgedMaster[];
  events: number;
}

/**
 * Deletes masters in `timeout` or `stopped` for longer than `purgeAfterMs`, 25 per transaction,
 * then events older than `eventsRetentionMs`. Every instance runs it; each master is deleted, and
 * its `master.purged` recorded, by exactly one of them (see {@link deleteMasters}).
 */
export async function purge(db: Kysely<Database>, settings: PurgeSettings): Promise<PurgeResult> {
  const masters: PurgedMaster[] = [];
  if (settings.purgeAfterMs > 0) {
    const cutoff = settings.now - settings.purgeAfterMs;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
      const candidates = await db
        .selectFrom('masters')
        .select('sn')
        .where('status', 'in', ['timeout', 'stopped'])
        .where('status_changed_at', '<', cutoff)
        .orderBy('sn')
        .limit(PURGE_BATCH)
        .execute();
      if (candidates.length === 0) break;
      const purged = await withTxRetry(() =>
        db.transaction().execute((trx) =>
          deleteMasters(
            trx,
            candidates.map((c) => c.sn),
            { reason: 'expired', purgeAfterMs: settings.purgeAfterMs, cutoff },
            settings,
          ),
        ),
      );
      masters.push(...purged);
      for (const m of purged) settings.log?.info({ sn: m.sn, event: 'master.purged', minions: m.minions.length }, 'master purged');
      if (candidates.length < PURGE_BATCH) break;
    }
  }
  const events = settings.eventsRetentionMs > 0 ? await deleteOldEvents(db, settings.now - settings.eventsRetentionMs) : 0;
  return { masters, events };
}

/**
 * Deletes the named masters (those still matching the purge condition when `reason` is
 * `expired`) with their memberships and IP rows, forgets minions no other master reports, and
 * records one event per deletion, in the caller's transaction. The masters are read under their
 * row locks with the condition (re-checked on the locked row: a registration that brought one
 * back first wins), and only those are deleted, so with several instances purging at once each
 * master is purged, and recorded, exactly once.
 */
export async function deleteMasters(
  trx: DbOrTrx,
  sns: readonly string[],
  why: { reason: 'expired'; purgeAfterMs: number; cutoff: EpochMs } | { reason: 'api' },
  stamp: { now: EpochMs; instanceId: string },
): Promise<PurgedMaster[]> {
  if (sns.length === 0) return [];
  const dialect = dialectOf(trx);
  const doomed = await dialect
    .forUpdate(
      trx
        .selectFrom('masters')
        .select(['sn', 'status', 'last_seen'])
        .where('sn', 'in', [...sns])
        .$if(why.reason === 'expired', (q) =>
          q.where('status', 'in', ['timeout', 'stopped']).where('status_changed_at', '<', (why as { cutoff: EpochMs }).cutoff),
        )
        .orderBy(dialect.byteOrder('sn')),
    )
    .execute();
  if (doomed.length === 0) return [];
  const gone = doomed.map((d) => d.sn);

  // Memberships go with the master (foreign key cascade): read them first.
  const members = await trx.selectFrom('master_minions').select(['master_sn', 'minion_sn']).where('master_sn', 'in', gone).execute();
  const minionSns = [...new Set(members.map((m) => m.minion_sn))];
  // Wait for registrations adding one of these minions elsewhere to commit before the orphan
  // check reads (the same reasoning as membership.ts).
  await dialect.lockRows(trx, 'minions', 'sn', minionSns);
  await trx.deleteFrom('master_minions').where('master_sn', 'in', gone).execute();
  await trx.deleteFrom('minion_ips').where('master_sn', 'in', gone).execute();
  await trx.deleteFrom('masters').where('sn', 'in', gone).execute();
  const orphans = new Set<string>();
  for (const batch of chunk(minionSns, 500)) {
    const orphaned = await trx
      .selectFrom('minions')
      .select('sn')
      .where('sn', 'in', batch)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('master_minions').select('master_sn').whereRef('master_minions.minion_sn', '=', 'minions.sn'))),
      )
      .execute();
    if (orphaned.length === 0) continue;
    await trx.deleteFrom('minions').where('sn', 'in', orphaned.map((o) => o.sn)).execute();
    for (const o of orphaned) orphans.add(o.sn);
  }
  const minionsOf = (sn: string) => members.filter((m) => m.master_sn === sn && orphans.has(m.minion_sn)).map((m) => m.minion_sn).sort();

  await insertEvents(
    trx,
    doomed.flatMap((d) => [
      {
        kind: 'master.purged' as const,
        master_sn: d.sn,
        detail: {
          reason: why.reason,
          status: d.status,
          last_seen_ms: Number(d.last_seen),
          ...(why.reason === 'expired' ? { purge_after_ms: why.purgeAfterMs } : {}),
          minions_purged: minionsOf(d.sn).length,
        },
      },
      ...minionsOf(d.sn).map((minion) => ({ kind: 'minion.purged' as const, master_sn: d.sn, minion_sn: minion, detail: null })),
    ]),
    { instanceId: stamp.instanceId, at: stamp.now },
  );
  return doomed.map((d) => ({ sn: d.sn, minions: minionsOf(d.sn) }));
}

/** Deletes events with `at` before `cutoff`, {@link EVENTS_BATCH} ids per statement (portable: no DELETE … LIMIT). */
export async function deleteOldEvents(db: Kysely<Database>, cutoff: EpochMs): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
    const ids = await db.selectFrom('events').select('id').where('at', '<', cutoff).orderBy('id').limit(EVENTS_BATCH).execute();
    if (ids.length === 0) break;
    const result = await db
      .deleteFrom('events')
      .where(
        'id',
        'in',
        ids.map((r) => r.id),
      )
      .executeTakeFirst();
    total += Number(result.numDeletedRows);
    if (ids.length < EVENTS_BATCH) break;
  }
  return total;
}
