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

  // One job at a time: memory stays bounded by the largest job, not the whole attempt history.
  const jobs = await db.selectFrom('job_attempts').select('job_id').distinct().orderBy('job_id').execute();
  for (const { job_id: jobId } of jobs) await convertJob(db, jobId as string);
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
  const dispatches = await db.selectFrom('job_dispatches').selectAll().orderBy('job_id').orderBy('round').orderBy('dispatch_id').execute();
  const n = new Map<string, number>();
  const rows = [];
  for (const d of dispatches) {
    const failures = new Map<number, string>();
    for (const [reason, ranges] of JSON.parse((d.failures as string | null) ?? '[]') as Array<[string, Array<[number, number]>]>) {
      for (const seq of fromRanges(ranges)) failures.set(seq, reason);
    }
    for (const seq of fromRanges(JSON.parse(d.seqs as string) as Array<[number, number]>)) {
      const key = `${d.job_id as string}\u0000${seq}`;
      n.set(key, (n.get(key) ?? 0) + 1);
      const failed = failures.get(seq);
      const ok = d.ok === null ? null : Number(d.ok) === 1 && failed === undefined ? 1 : 0;
      rows.push({ job_id: d.job_id, seq, n: n.get(key), master_sn: d.master_sn, dispatch_id: d.dispatch_id, at: d.at, ok, reason: failed ?? (ok === 0 ? d.reason : null) });
    }
  }
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('job_attempts').values(rows.slice(i, i + 500)).execute();
  await db.schema.dropTable('job_dispatches').execute();
}

/** The attempt rows of one job → its dispatch rows. */
async function convertJob(db: Kysely<any>, jobId: string): Promise<void> {
  const rows = (await db.selectFrom('job_attempts').selectAll().where('job_id', '=', jobId).orderBy('dispatch_id').orderBy('seq').execute()) as OldAttempt[];
  const groups = new Map<string, OldAttempt[]>();
  for (const r of rows) {
    const key = `${r.job_id}\u0000${r.dispatch_id}`;
    const group = groups.get(key) ?? [];
    group.push(r);
    groups.set(key, group);
  }
  // Rounds: the dispatches of a job in the order they were made (attempts of one round share `at`).
  const ats = new Map<string, number[]>();
  for (const group of groups.values()) {
    const first = group[0]!;
    const list = ats.get(first.job_id) ?? [];
    list.push(Math.min(...group.map((a) => Number(a.at))));
    ats.set(first.job_id, list);
  }
  for (const [job, list] of ats) ats.set(job, [...new Set(list)].sort((a, b) => a - b));
  const converted = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const at = Math.min(...group.map((a) => Number(a.at)));
    const settled = group.filter((a) => a.ok !== null);
    const okSeqs = group.filter((a) => a.ok !== null && Number(a.ok) === 1).map((a) => Number(a.seq));
    const failed = group.filter((a) => a.ok !== null && Number(a.ok) === 0);
    const reasons = new Map<string, number[]>();
    for (const a of failed) reasons.set(a.reason ?? 'failed', [...(reasons.get(a.reason ?? 'failed') ?? []), Number(a.seq)]);
    const ok = settled.length === 0 ? null : okSeqs.length > 0 ? 1 : 0;
    // As settleDispatch writes it: one reason for a failed dispatch, else each failed target's own.
    const oneReason = ok === 0 && reasons.size === 1 ? [...reasons.keys()][0]! : null;
    let jid: string | null = null;
    if (okSeqs.length > 0) {
      const target = await db
        .selectFrom('job_targets')
        .select('jid')
        .where('job_id', '=', first.job_id)
        .where('seq', '=', okSeqs[0]!)
        .where('master_sn', '=', first.master_sn)
        .executeTakeFirst();
      jid = (target?.jid as string | null | undefined) ?? null;
    }
    converted.push({
      job_id: first.job_id,
      dispatch_id: first.dispatch_id,
      round: ats.get(first.job_id)!.indexOf(at) + 1,
      master_sn: first.master_sn,
      seqs: JSON.stringify(toRanges(group.map((a) => Number(a.seq)))),
      at,
      ok,
      reason: oneReason,
      failures: oneReason === null && reasons.size > 0 ? JSON.stringify([...reasons].map(([reason, seqs]) => [reason, toRanges(seqs)])) : null,
      jid,
    });
  }
  for (let i = 0; i < converted.length; i += 500) await db.insertInto('job_dispatches').values(converted.slice(i, i + 500)).execute();
}

async function hasTable(db: Kysely<any>, name: string): Promise<boolean> {
  return (await db.introspection.getTables()).some((t) => t.name === name);
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
