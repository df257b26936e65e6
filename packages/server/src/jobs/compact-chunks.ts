/** Compaction: a finished job's chunks become their `job_targets` rows, after the finish (target-chunks.ts). */
import { FinishedJobStatus, isFinishedJobStatus } from '@act2/shared';
import type { Db, DbOrTrx } from '../db/database.js';
import { dialectOf } from '../db/dialects/index.js';
import { patchOf } from './chunk-patch.js';
import { pushTo } from './group-by.js';
import { insertFromChunks, type LockedChunk } from './target-chunks.js';

/**
 * A finished job's chunks become their rows (each target its chunk's patch), in their own transaction:
 * the history (`GET /api/v1/jobs?minion=`, a job's targets) then reads rows only. Nothing else writes a
 * finished job's targets; two compactions of one job wait for each other on the chunks' locks.
 */
export async function compactChunks(db: Db, jobId: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('jobs').select('status').where('id', '=', jobId).executeTakeFirst();
    if (!job || !isFinishedJobStatus(job.status)) return 0;
    const chunks: LockedChunk[] = await dialectOf(trx).forUpdate(trx.selectFrom('job_target_chunks').select(['chunk_id', 'seqs', 'patch']).where('job_id', '=', jobId)).execute();
    if (chunks.length === 0) return 0;
    const byBase = new Map<string | null, string[]>();
    for (const c of chunks) pushTo(byBase, c.patch, c.chunk_id);
    for (const [base, ids] of byBase) await insertFromChunks(trx, jobId, ids, null, patchOf(base));
    await trx.deleteFrom('job_target_chunks').where('job_id', '=', jobId).where('chunk_id', 'in', chunks.map((c) => c.chunk_id)).execute();
    return chunks.length;
  });
}

/**
 * Finished jobs that still hold chunks (their follower stopped between the finish and the compaction),
 * the longest finished first, but those in `exclude` (followed here, or waiting to be tried again).
 */
export async function finishedJobsWithChunks(db: DbOrTrx, limit: number, exclude: readonly string[] = []): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs as j')
    .select('j.id')
    .where('j.status', 'in', FinishedJobStatus.options)
    .where((eb) => eb.exists(eb.selectFrom('job_target_chunks as c').select('c.job_id').whereRef('c.job_id', '=', 'j.id')))
    .$if(exclude.length > 0, (q) => q.where('j.id', 'not in', [...exclude]))
    .orderBy('j.finished_at')
    .orderBy('j.id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
