import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time, like every migration (see 0002-auth.ts): the range encoding below is a copy, on
// purpose, of what the application writes today (jobs/seq-ranges.ts); it must not follow later changes.

/**
 * One row per dispatch (one `local_async` to one master) instead of one row per target and call: a
 * 10,000-target job recorded 10,000 attempt rows before calling salt and updated them after; it now
 * records one row per master. The targets a dispatch carried are its `seqs` (JSON ranges
 * `[[first, last], …]`); the targets that failed inside a published dispatch (salt did not list them)
 * are its `failures` (JSON `[[reason, ranges], …]`). Per-target attempts are derived from these.
 * Attempt rows written before this migration are converted, then `job_attempts` is dropped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Run again after a failure part-way (MariaDB has no transactional DDL; the other two roll back):
  // job_attempts is the source until it is dropped, job_dispatches is rebuilt from it.
  if (!(await hasTable(db, 'job_attempts'))) return;
  const t = await columnTypes(db);
  await db.schema.dropTable('job_dispatches').ifExists().execute();
  await t
    .table(db.schema.createTable('job_dispatches'))
    .addColumn('job_id', t.key, (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('dispatch_id', t.key, (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('master_sn', t.key, (c) => c.notNull())
    .addColumn('seqs', t.json, (c) => c.notNull())
    .addColumn('at', t.ms, (c) => c.notNull())
    .addColumn('ok', 'integer')
    .addColumn('reason', t.text)
    .addColumn('failures', t.json)
    .addColumn('jid', t.key)
    .addPrimaryKeyConstraint('job_dispatches_pk', ['job_id', 'dispatch_id'])
    .execute();

  // One job at a time, job ids paged: memory stays bounded by the largest job, not the whole history.
  for (let page = await jobIdsAfter(db, 'job_attempts', null); page.length > 0; page = await jobIdsAfter(db, 'job_attempts', page.at(-1)!)) {
    for (const jobId of page) await convertJob(db, jobId);
  }
  await db.schema.dropTable('job_attempts').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  // As up(): job_dispatches is the source until it is dropped, job_attempts is rebuilt from it.
  if (!(await hasTable(db, 'job_dispatches'))) return;
  const t = await columnTypes(db);
  await db.schema.dropTable('job_attempts').ifExists().execute();
  await t
    .table(db.schema.createTable('job_attempts'))
    .addColumn('job_id', t.key, (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('master_sn', t.key, (c) => c.notNull())
    .addColumn('dispatch_id', t.key, (c) => c.notNull())
    .addColumn('at', t.ms, (c) => c.notNull())
    .addColumn('ok', 'integer')
    .addColumn('reason', t.text)
    .addPrimaryKeyConstraint('job_attempts_pk', ['job_id', 'seq', 'n'])
    .execute();
  await db.schema.createIndex('job_attempts_dispatch_idx').on('job_attempts').column('dispatch_id').execute();
  for (let page = await jobIdsAfter(db, 'job_dispatches', null); page.length > 0; page = await jobIdsAfter(db, 'job_dispatches', page.at(-1)!)) {
    for (const jobId of page) await restoreJob(db, jobId);
  }
  await db.schema.dropTable('job_dispatches').execute();
}

/** The attempt rows of one job → its dispatch rows. */
async function convertJob(db: Kysely<any>, jobId: string): Promise<void> {
  const rows = (await db.selectFrom('job_attempts').selectAll().where('job_id', '=', jobId).orderBy('dispatch_id').orderBy('seq').execute()) as OldAttempt[];
  const groups = new Map<string, OldAttempt[]>();
  for (const r of rows) {
    const group = groups.get(r.dispatch_id);
    if (group) group.push(r);
    else groups.set(r.dispatch_id, [r]);
  }
  // Where a published target of this job ran (its jid and master); a dispatch's jid is that of any
  // target it published on its master (a target goes at most once to each master).
  const targets = await db.selectFrom('job_targets').select(['seq', 'jid', 'master_sn']).where('job_id', '=', jobId).where('jid', 'is not', null).execute();
  const jidOf = new Map(targets.map((t) => [Number(t.seq), { jid: t.jid as string, master: t.master_sn as string | null }]));
  // Rounds: the dispatches of a job in the order they were made (the dispatches of one round share `at`).
  // A round that failed over in the same millisecond as the one before is told apart by the attempt
  // numbers n: its targets already had an attempt at that `at`.
  const sameAtBefore = new Map<OldAttempt, number>();
  const bySeq = new Map<number, OldAttempt[]>();
  for (const a of rows) {
    const list = bySeq.get(Number(a.seq));
    if (list) list.push(a);
    else bySeq.set(Number(a.seq), [a]);
  }
  for (const list of bySeq.values()) {
    list.sort((x, y) => Number(x.n) - Number(y.n));
    const seen = new Map<number, number>();
    for (const a of list) {
      const count = seen.get(Number(a.at)) ?? 0;
      sameAtBefore.set(a, count);
      seen.set(Number(a.at), count + 1);
    }
  }
  const dispatches = [...groups.values()].map((group) => {
    let at = Infinity;
    let level = 0;
    for (const a of group) {
      at = Math.min(at, Number(a.at));
      level = Math.max(level, sameAtBefore.get(a)!);
    }
    return { group, at, level };
  });
  const roundKeys = [...new Map(dispatches.map((d) => [`${d.at}:${d.level}`, [d.at, d.level] as const])).values()].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const roundOf = new Map(roundKeys.map(([at, level], i) => [`${at}:${level}`, i + 1]));
  const converted = [];
  for (const { group, at, level } of dispatches) {
    const first = group[0]!;
    const okSeqs: number[] = [];
    const reasons = new Map<string, number[]>();
    let settled = false;
    for (const a of group) {
      if (a.ok === null) continue;
      settled = true;
      if (Number(a.ok) === 1) okSeqs.push(Number(a.seq));
      else {
        const reason = a.reason ?? 'failed';
        const seqs = reasons.get(reason);
        if (seqs) seqs.push(Number(a.seq));
        else reasons.set(reason, [Number(a.seq)]);
      }
    }
    const ok = !settled ? null : okSeqs.length > 0 ? 1 : 0;
    // As settleDispatch writes it: one reason for a failed dispatch, else each failed target's own.
    const oneReason = ok === 0 && reasons.size === 1 ? [...reasons.keys()][0]! : null;
    let jid: string | null = null;
    for (const seq of okSeqs) {
      const target = jidOf.get(seq);
      if (target && target.master === first.master_sn) {
        jid = target.jid;
        break;
      }
    }
    converted.push({
      job_id: first.job_id,
      dispatch_id: first.dispatch_id,
      round: roundOf.get(`${at}:${level}`)!,
      master_sn: first.master_sn,
      seqs: JSON.stringify(toRanges(group.map((a) => Number(a.seq)))),
      at,
      ok,
      reason: oneReason,
      failures: oneReason === null && reasons.size > 0 ? JSON.stringify([...reasons].map(([reason, seqs]) => [reason, toRanges(seqs)])) : null,
      jid,
    });
  }
  for (let i = 0; i < converted.length; i += BATCH) await db.insertInto('job_dispatches').values(converted.slice(i, i + BATCH)).execute();
}

/** The dispatch rows of one job → its attempt rows; its published, not yet returned targets get their jid back. */
async function restoreJob(db: Kysely<any>, jobId: string): Promise<void> {
  // In the order the application reads them (jobDispatches): each target's attempts are numbered in it.
  const dispatches = (await db.selectFrom('job_dispatches').selectAll().where('job_id', '=', jobId).orderBy('round').orderBy('at').orderBy('dispatch_id').execute()) as Dispatch[];
  const n = new Map<number, number>();
  const last = new Map<number, { dispatch: Dispatch; ok: number | null }>();
  const rows = [];
  for (const d of dispatches) {
    const failures = new Map<number, string>();
    for (const [reason, ranges] of JSON.parse(d.failures ?? '[]') as Array<[string, Array<[number, number]>]>) {
      for (const seq of fromRanges(ranges)) failures.set(seq, reason);
    }
    for (const seq of fromRanges(JSON.parse(d.seqs) as Array<[number, number]>)) {
      const attempt = (n.get(seq) ?? 0) + 1;
      n.set(seq, attempt);
      const failed = failures.get(seq);
      const ok = d.ok === null ? null : Number(d.ok) === 1 && failed === undefined ? 1 : 0;
      last.set(seq, { dispatch: d, ok });
      rows.push({ job_id: d.job_id, seq, n: attempt, master_sn: d.master_sn, dispatch_id: d.dispatch_id, at: d.at, ok, reason: failed ?? (ok === 0 ? d.reason : null) });
    }
  }
  for (let i = 0; i < rows.length; i += BATCH) await db.insertInto('job_attempts').values(rows.slice(i, i + BATCH)).execute();
  // Since 0007 a published target keeps jid, master and start NULL until it returns (its dispatch holds
  // them); the code before 0007 reads them from the target and would dispatch it again. As the
  // application derives them (publishedBySeq): from the target's last attempt, when that one published it.
  const published = new Map<Dispatch, number[]>();
  for (const [seq, { dispatch, ok }] of last) {
    if (ok !== 1 || dispatch.jid === null) continue;
    const seqs = published.get(dispatch);
    if (seqs) seqs.push(seq);
    else published.set(dispatch, [seq]);
  }
  for (const [d, seqs] of published) {
    for (let i = 0, ranges = toRanges(seqs); i < ranges.length; i += RANGES_PER_UPDATE) {
      const some = ranges.slice(i, i + RANGES_PER_UPDATE);
      await db
        .updateTable('job_targets')
        .set({ jid: d.jid, master_sn: d.master_sn, started_at: d.at })
        .where('job_id', '=', jobId)
        .where('outcome', '=', 'pending')
        .where('jid', 'is', null)
        .where((eb) => eb.or(some.map(([a, b]) => (a === b ? eb('seq', '=', a) : eb.between('seq', a, b)))))
        .execute();
    }
  }
}

/** The next page of job ids of `table` (keyset: memory stays bounded whatever the number of jobs). */
async function jobIdsAfter(db: Kysely<any>, table: string, after: string | null): Promise<string[]> {
  const rows = await db
    .selectFrom(table)
    .select('job_id')
    .distinct()
    .$if(after !== null, (q) => q.where('job_id', '>', after!))
    .orderBy('job_id')
    .limit(JOBS_PER_PAGE)
    .execute();
  return rows.map((r) => r.job_id as string);
}

async function hasTable(db: Kysely<any>, name: string): Promise<boolean> {
  return (await db.introspection.getTables()).some((t) => t.name === name);
}

/** Rows per multi-row INSERT (8–10 bound parameters each). */
const BATCH = 500;
/** Ranges of seq per UPDATE (one or two bound parameters each), as updateTargets. */
const RANGES_PER_UPDATE = 250;
const JOBS_PER_PAGE = 100;

interface Dispatch {
  job_id: string;
  dispatch_id: string;
  round: number;
  master_sn: string;
  seqs: string;
  at: number;
  ok: number | null;
  reason: string | null;
  failures: string | null;
  jid: string | null;
}

interface OldAttempt {
  job_id: string;
  seq: number;
  n: number;
  master_sn: string;
  dispatch_id: string;
  at: number;
  ok: number | null;
  reason: string | null;
}

function toRanges(seqs: number[]): Array<[number, number]> {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const s of sorted) {
    const last = ranges.at(-1);
    if (last && last[1] + 1 === s) last[1] = s;
    else ranges.push([s, s]);
  }
  return ranges;
}

function fromRanges(ranges: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (const [first, last] of ranges) for (let s = first; s <= last; s += 1) out.push(s);
  return out;
}
