import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';
import { compactChunks, finishedJobsWithChunks } from '../jobs/compact-chunks.js';

export interface ChunkSweepOptions {
  /** Jobs compacted per sweep (each its own transaction; usually there is none). */
  limit: number;
  /** Jobs this instance follows: their follower compacts their chunks right after their finish. */
  skip?: (jobId: string) => boolean;
  signal?: AbortSignal;
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
}

/**
 * Compacts into rows the chunks of finished jobs whose follower stopped between the finish and the
 * compaction (jobs/follow-job.ts `finish`): they stay readable until then, the history reads rows only.
 * A job whose compaction fails is logged and left for the next sweep; the others go on. Returns the ids
 * of the jobs compacted.
 */
export async function sweepFinishedChunks(db: Db, options: ChunkSweepOptions): Promise<string[]> {
  const compacted: string[] = [];
  for (const job of await finishedJobsWithChunks(db, options.limit)) {
    if (options.signal?.aborted) break;
    if (options.skip?.(job)) continue;
    const started = Date.now();
    try {
      const chunks = await compactChunks(db, job);
      if (chunks === 0) continue;
      compacted.push(job);
      options.log.info({ job, chunks, ms: Date.now() - started, by: 'sweep' }, 'chunks compacted');
    } catch (err) {
      options.log.warn({ job, err }, 'compacting chunks failed');
    }
  }
  return compacted;
}
