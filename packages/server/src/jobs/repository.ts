/** Jobs, their targets and attempts: every read and write the API and the follower make. */
import { UnfinishedJobStatus, type Job, type JobOutcome, type JobStatus, type JobSummary, type JobTargetResult } from '@act2/shared';
import { type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Db, DbOrTrx, EpochMs, JobDispatchesTable, JobsTable, JobTargetsTable } from '../db/database.js';
import { chunk } from '../db/chunk.js';
import { dialectOf } from '../db/dialects/index.js';
import { iso } from '../http/iso.js';
import { pushTo } from './group-by.js';
import { fromRanges, toRanges, type SeqRanges } from './seq-ranges.js';
import { chunkedTargets, hasChunkedMinion, materializeChunks, type TargetPatch } from './target-chunks.js';

export type JobRow = Selectable<JobsTable>;
export type TargetRow = Selectable<JobTargetsTable>;
export type DispatchRow = Selectable<JobDispatchesTable>;

/** One target's part in one dispatch, as `GET /api/v1/jobs/{id}` shows it. */
export interface Attempt {
  master_sn: string;
  dispatch_id: string;
  /** null while in flight. */
  ok: boolean | null;
  reason: string | null;
  at: number;
  /** The dispatch's jid (null unless salt published it). */
  jid: string | null;
}

/** The job and its targets: a 10,000-target job is one or a few statements (`insertMany`), not 20 batches. */
export async function insertJob(trx: DbOrTrx, job: Insertable<JobsTable>, targets: ReadonlyArray<Insertable<JobTargetsTable>>): Promise<void> {
  await trx.insertInto('jobs').values(job).execute();
  await dialectOf(trx).insertMany(trx, 'job_targets', targets);
}

export async function findJob(db: DbOrTrx, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Every target of the job, by seq: its rows and the targets still in chunks (target-chunks.ts). The
 * chunks are read first, then the rows, and a seq in both is its row: a target only moves from a chunk
 * to a row, so a chunk turned into rows between the two reads is seen once (as rows), never lost.
 */
export async function jobTargets(db: DbOrTrx, id: string): Promise<TargetRow[]> {
  const chunked = await chunkedTargets(db, id);
  const rows = await db.selectFrom('job_targets').selectAll().where('job_id', '=', id).orderBy('seq').execute();
  if (chunked.length === 0) return rows;
  const stored = new Set(rows.map((r) => Number(r.seq)));
  return [...rows, ...chunked.filter((t) => !stored.has(Number(t.seq)))].sort((a, b) => Number(a.seq) - Number(b.seq));
}

/** The targets still `pending`, with only what following needs (no returns). */
export type PendingTarget = Pick<TargetRow, 'seq' | 'salt_id' | 'candidates' | 'jid' | 'master_sn' | 'outcome' | 'started_at'>;

/**
 * The pending targets and the job's dispatches. A target published by a settled dispatch carries that
 * dispatch's jid, master and time: settling writes the one dispatch row, not its 1,000 targets (their
 * `jid`, `master_sn`, `started_at` are written with their return, or when they expire).
 */
export async function jobProgress(db: DbOrTrx, id: string): Promise<{ pending: PendingTarget[]; dispatches: DispatchRow[] }> {
  const [stored, chunked, dispatches] = await Promise.all([
    db
      .selectFrom('job_targets')
      .select(['seq', 'salt_id', 'candidates', 'jid', 'master_sn', 'outcome', 'started_at'])
      .where('job_id', '=', id)
      .where('outcome', '=', 'pending')
      .orderBy('seq')
      .execute(),
    // A chunk whose patch gave its targets an outcome (not `pending`) is not read: none of them is followed.
    chunkedTargets(db, id, { pendingOnly: true }),
    jobDispatches(db, id),
  ]);
  const pending: PendingTarget[] =
    chunked.length === 0
      ? stored
      : [...stored, ...chunked.map(({ seq, salt_id, candidates, jid, master_sn, outcome, started_at }) => ({ seq, salt_id, candidates, jid, master_sn, outcome, started_at }))].sort(
          (a, b) => Number(a.seq) - Number(b.seq),
        );
  // Each target's attempts are derived only when some pending target needs its dispatch's jid (not once every target answered).
  if (!pending.some((t) => t.jid === null)) return { pending, dispatches };
  const published = publishedBySeq(dispatches);
  return { pending: pending.map((t) => (t.jid === null ? { ...t, ...published.get(Number(t.seq)) } : t)), dispatches };
}

/** Where each target's last attempt published it: the dispatch's jid, master and time. */
export function publishedBySeq(dispatches: readonly DispatchRow[]): Map<number, { jid: string; master_sn: string; started_at: number }> {
  const out = new Map<number, { jid: string; master_sn: string; started_at: number }>();
  for (const [seq, attempts] of attemptsBySeq(dispatches)) {
    const last = attempts.at(-1);
    if (last?.ok === true && last.jid !== null) out.set(seq, { jid: last.jid, master_sn: last.master_sn, started_at: last.at });
  }
  return out;
}

export async function outcomeCounts(db: DbOrTrx, id: string): Promise<Record<string, number>> {
  return (await outcomeCountsOf(db, [id])).get(id) ?? {};
}

/**
 * Each job's targets by outcome, those in chunks as their chunk's outcome. One statement (rows and chunks
 * in one UNION ALL, so one snapshot): a chunk turned into rows meanwhile is counted once, as chunk or rows.
 */
async function outcomeCountsOf(db: DbOrTrx, ids: readonly string[]): Promise<Map<string, Record<string, number>>> {
  const counts = new Map<string, Record<string, number>>();
  if (ids.length === 0) return counts;
  const grouped = await db
    .selectFrom('job_targets')
    .select(['job_id', 'outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('job_id', 'in', [...ids])
    .groupBy(['job_id', 'outcome'])
    .unionAll(
      db
        .selectFrom('job_target_chunks')
        .select(['job_id', 'outcome', (eb) => eb.fn.sum<number>('n').as('n')])
        .where('job_id', 'in', [...ids])
        .groupBy(['job_id', 'outcome']),
    )
    .execute();
  for (const g of grouped) {
    const c = counts.get(g.job_id) ?? {};
    c[g.outcome] = (c[g.outcome] ?? 0) + Number(g.n);
    counts.set(g.job_id, c);
  }
  return counts;
}

export async function jobDispatches(db: DbOrTrx, id: string): Promise<DispatchRow[]> {
  return db.selectFrom('job_dispatches').selectAll().where('job_id', '=', id).orderBy('round').orderBy('at').orderBy('dispatch_id').execute();
}

function failuresOf(d: Pick<DispatchRow, 'failures'>): Map<number, string> {
  const failures = new Map<number, string>();
  for (const [reason, ranges] of JSON.parse(d.failures ?? '[]') as Array<[string, SeqRanges]>) for (const seq of fromRanges(ranges)) failures.set(seq, reason);
  return failures;
}

/** Each target's attempts, in the order they were made, derived from the job's dispatches. */
export function attemptsBySeq(dispatches: readonly DispatchRow[]): Map<number, Attempt[]> {
  const bySeq = new Map<number, Attempt[]>();
  for (const d of dispatches) {
    const failures = failuresOf(d);
    const settled = d.ok !== null;
    const published = settled && Number(d.ok) === 1;
    for (const seq of fromRanges(JSON.parse(d.seqs) as SeqRanges)) {
      const failure = failures.get(seq);
      const ok = settled ? published && failure === undefined : null;
      pushTo(bySeq, seq, { master_sn: d.master_sn, dispatch_id: d.dispatch_id, ok, reason: failure ?? (ok === false ? d.reason : null), at: Number(d.at), jid: d.jid });
    }
  }
  return bySeq;
}

function bool(v: number | null): boolean | null {
  return v === null ? null : Number(v) === 1;
}

function countOutcomes(targets: ReadonlyArray<{ outcome: JobOutcome }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of targets) counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;
  return counts;
}

export function toSummary(row: JobRow, counts: Record<string, number>): JobSummary {
  return {
    id: row.id,
    status: row.status,
    fun: row.fun,
    arg: JSON.parse(row.arg) as unknown[],
    kwarg: JSON.parse(row.kwarg) as Record<string, unknown>,
    timeout_s: Number(row.timeout_s),
    requested_by: row.requested_by,
    created_at: iso(Number(row.created_at)),
    finished_at: row.finished_at === null ? null : iso(Number(row.finished_at)),
    counts,
  };
}

/** The whole job as `GET /api/v1/jobs/{id}` shows it. */
export async function getJob(db: DbOrTrx, id: string): Promise<Job | undefined> {
  const row = await findJob(db, id);
  if (!row) return undefined;
  const [targets, dispatches] = await Promise.all([jobTargets(db, id), jobDispatches(db, id)]);
  const bySeq = attemptsBySeq(dispatches);
  const published = publishedBySeq(dispatches);
  const items = targets.map((stored): JobTargetResult => {
    // A target followed under a settled dispatch's jid has it in the dispatch row until it returns.
    const t = stored.outcome === 'pending' && stored.jid === null ? { ...stored, ...published.get(Number(stored.seq)) } : stored;
    return {
      sn: t.sn,
      ip: t.ip,
      outcome: t.outcome,
      master: t.master_sn,
      jid: t.jid,
      attempts: (bySeq.get(Number(t.seq)) ?? []).map((a) => ({ master: a.master_sn, ok: a.ok, reason: a.reason, at: iso(a.at) })),
      retcode: t.retcode === null ? null : Number(t.retcode),
      success: bool(t.success),
      return: t.return_json === null ? null : (JSON.parse(t.return_json) as unknown),
      truncated: Number(t.truncated) === 1,
      reason: t.reason,
      started_at: t.started_at === null ? null : iso(Number(t.started_at)),
      finished_at: t.finished_at === null ? null : iso(Number(t.finished_at)),
    };
  });
  return { ...toSummary(row, countOutcomes(targets)), targets: items };
}

export interface JobFilter {
  status?: JobStatus | undefined;
  master?: string | undefined;
  minion?: string | undefined;
  since?: EpochMs | undefined;
  /** The last row of the previous page: [created_at, id]. */
  before?: readonly [number, string] | undefined;
  limit: number;
}

/** Newest first, paged by (created_at, id). */
export async function listJobs(db: DbOrTrx, filter: JobFilter): Promise<{ items: JobSummary[]; last: [number, string] | null }> {
  const rows = await db
    .selectFrom('jobs')
    .selectAll()
    .$if(filter.status !== undefined, (q) => q.where('status', '=', filter.status!))
    .$if(filter.since !== undefined, (q) => q.where('created_at', '>=', filter.since!))
    .$if(filter.master !== undefined, (q) =>
      q.where((eb) => eb.exists(eb.selectFrom('job_masters as jm').select('jm.job_id').whereRef('jm.job_id', '=', 'jobs.id').where('jm.master_sn', '=', filter.master!))),
    )
    .$if(filter.minion !== undefined, (q) =>
      q.where((eb) => {
        const stored = eb.exists(eb.selectFrom('job_targets as t').select('t.seq').whereRef('t.job_id', '=', 'jobs.id').where('t.sn', '=', filter.minion!));
        // Jobs not compacted yet (unfinished, or just finished) hold some targets in chunks, not in job_targets.
        return eb.or([stored, hasChunkedMinion(db, filter.minion!)]);
      }),
    )
    .$if(filter.before !== undefined, (q) =>
      q.where((eb) =>
        eb.or([eb('created_at', '<', filter.before![0]), eb.and([eb('created_at', '=', filter.before![0]), eb('id', '<', filter.before![1])])]),
      ),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const counts = await outcomeCountsOf(db, page.map((r) => r.id));
  const last = page.at(-1);
  return {
    items: page.map((r) => toSummary(r, counts.get(r.id) ?? {})),
    last: rows.length > filter.limit && last ? [Number(last.created_at), last.id] : null,
  };
}

/** Jobs no live instance follows: unfinished, and never leased or with the lease run out. */
export async function claimableJobIds(db: DbOrTrx, now: EpochMs, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('id')
    .where('status', 'in', UnfinishedJobStatus.options)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Takes the lease if nobody holds a live one; true when this instance now follows the job. A claimed
 * job is `running` (set here: one statement fewer before the first dispatch).
 */
export async function claimJob(db: Db, id: string, owner: string, now: EpochMs, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_owner: owner, lease_until: now + leaseMs, status: 'running' })
    .where('id', '=', id)
    .where('status', 'in', UnfinishedJobStatus.options)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Extends the lease; false when another instance took the job over (this one must stop writing). */
export async function renewLease(db: DbOrTrx, id: string, owner: string, now: EpochMs, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_until: now + leaseMs })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** True while `owner` holds the job's lease; the row stays locked (shared, or exclusively) until the transaction ends. */
export async function holdsLease(trx: DbOrTrx, id: string, owner: string, lock: 'share' | 'update' = 'share'): Promise<boolean> {
  const dialect = dialectOf(trx);
  const query = trx.selectFrom('jobs').select('lease_owner').where('id', '=', id);
  const row = await (lock === 'share' ? dialect.forShare(query) : dialect.forUpdate(query)).executeTakeFirst();
  return row?.lease_owner === owner;
}

/** Gives the job up at once (graceful shutdown), so another instance resumes it without waiting. */
export async function releaseLease(db: DbOrTrx, id: string, owner: string): Promise<void> {
  await db.updateTable('jobs').set({ lease_until: 0 }).where('id', '=', id).where('lease_owner', '=', owner).where('status', 'in', UnfinishedJobStatus.options).execute();
}

/**
 * A job created and leased here whose first dispatches were recorded but never sent (the instance began
 * closing): they are deleted and the lease handed back, in one transaction under the lease.
 */
export async function withdrawUnsentJob(db: Db, id: string, owner: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await holdsLease(trx, id, owner, 'update'))) return;
    await trx.deleteFrom('job_dispatches').where('job_id', '=', id).where('ok', 'is', null).execute();
    await trx.updateTable('jobs').set({ lease_until: 0 }).where('id', '=', id).execute();
  });
}

/** Records dispatches before their calls are made (one row per master, whatever the number of targets). */
export async function insertDispatches(
  trx: DbOrTrx,
  dispatches: ReadonlyArray<{ job_id: string; dispatch_id: string; round: number; master_sn: string; seqs: Iterable<number>; at: EpochMs }>,
): Promise<void> {
  if (dispatches.length === 0) return;
  await trx
    .insertInto('job_dispatches')
    .values(dispatches.map((d) => ({ ...d, seqs: JSON.stringify(toRanges(d.seqs)), ok: null, reason: null, failures: null, jid: null })))
    .execute();
}

/**
 * Settles one in-flight dispatch with one statement: published (`jid`, some targets listed) with the
 * unlisted targets' reasons kept per target, or failed with one reason for all.
 */
export async function settleDispatch(
  trx: DbOrTrx,
  jobId: string,
  dispatchId: string,
  settled: { jid: string | null; okCount: number; failures: ReadonlyMap<number, string> },
): Promise<void> {
  const byReason = new Map<string, number[]>();
  for (const [seq, reason] of settled.failures) pushTo(byReason, reason, seq);
  const published = settled.jid !== null && settled.okCount > 0;
  const oneReason = !published && byReason.size === 1 ? [...byReason.keys()][0]! : null;
  const failures = oneReason === null && byReason.size > 0 ? JSON.stringify([...byReason].map(([reason, seqs]) => [reason, toRanges(seqs)])) : null;
  await trx
    .updateTable('job_dispatches')
    .set({ ok: published ? 1 : 0, jid: settled.jid, reason: oneReason, failures })
    .where('job_id', '=', jobId)
    .where('dispatch_id', '=', dispatchId)
    .execute();
}

/** A target found unpublished after its dispatch was settled as published (only after a recovery): its attempt fails. */
export async function failTargetInDispatch(trx: DbOrTrx, jobId: string, master: string, jid: string, seq: number, reason: string): Promise<void> {
  const dispatches = await trx
    .selectFrom('job_dispatches')
    .select(['dispatch_id', 'seqs', 'failures'])
    .where('job_id', '=', jobId)
    .where('master_sn', '=', master)
    .where('jid', '=', jid)
    .where('ok', '=', 1)
    .execute();
  for (const d of dispatches) {
    if (!fromRanges(JSON.parse(d.seqs) as SeqRanges).includes(seq)) continue;
    const failures = failuresOf(d);
    failures.set(seq, reason);
    const byReason = new Map<string, number[]>();
    for (const [s, r] of failures) pushTo(byReason, r, s);
    const json = JSON.stringify([...byReason].map(([r, seqs]) => [r, toRanges(seqs)]));
    await trx.updateTable('job_dispatches').set({ failures: json }).where('job_id', '=', jobId).where('dispatch_id', '=', d.dispatch_id).execute();
  }
}

/** Ranges of seq per UPDATE: each is one or two bound parameters. */
const RANGES_PER_UPDATE = 250;

/**
 * Applies `patch` to the targets `seqs`, matched by ranges of consecutive seq (`seq BETWEEN a AND b`):
 * a master's targets are mostly consecutive, so 1,000 of them are one short statement, not two
 * 500-value IN lists; scattered targets still take one bound parameter each.
 */
export async function updateTargets(trx: DbOrTrx, jobId: string, seqs: readonly number[], patch: Updateable<JobTargetsTable>): Promise<void> {
  await updateTargetGroups(trx, jobId, [{ seqs, patch }]);
}

/**
 * Several `updateTargets` at once: a chunk whose every target gets one patch keeps it, the other targets
 * still in chunks are written as their rows, with their patch, instead of updated.
 */
export async function updateTargetGroups(trx: DbOrTrx, jobId: string, patches: readonly TargetPatch[]): Promise<void> {
  for (const { seqs, patch } of await materializeChunks(trx, jobId, patches)) {
    for (const ranges of chunk(toRanges(seqs), RANGES_PER_UPDATE)) {
      await trx
        .updateTable('job_targets')
        .set(patch)
        .where('job_id', '=', jobId)
        .where((eb) => eb.or(ranges.map(([first, last]) => (first === last ? eb('seq', '=', first) : eb.between('seq', first, last)))))
        .execute();
    }
  }
}

export async function updateTarget(trx: DbOrTrx, jobId: string, seq: number, patch: Updateable<JobTargetsTable>): Promise<void> {
  await updateTargetGroups(trx, jobId, [{ seqs: [seq], patch }]);
}

/** Notes that the job published on `master` (once; callers hold the job's lease, so nobody races them). */
export async function addJobMaster(trx: DbOrTrx, jobId: string, master: string): Promise<void> {
  // One statement, not a read and an insert: it runs in every master's settle transaction.
  await dialectOf(trx).insertIfAbsent(trx, 'job_masters', { job_id: jobId, master_sn: master }, ['job_id', 'master_sn']);
}

export async function updateJob(trx: DbOrTrx, id: string, patch: Partial<JobsTable>): Promise<void> {
  await trx.updateTable('jobs').set(patch).where('id', '=', id).execute();
}
