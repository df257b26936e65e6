import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';
import { compactChunks, finishedJobsWithChunks } from '../jobs/compact-chunks.js';

export interface ChunkSweepOptions {
  /** Jobs compacted per sweep (each its own transaction; usually there is none). */
  limit: number;
  /** Jobs this instance follows: their follower compacts their chunks right after their finish. */
  skip?: (jobId: string) => boolean;
  /** Kept by the caller from sweep to sweep: jobs whose compaction failed wait before the next try. */
  backoff?: CompactionBackoff;
  signal?: AbortSignal;
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
}

/**
 * Per sweeper (kept in memory): when each job whose compaction failed is tried again, counted in sweeps,
 * the wait doubling from `first` up to `max`. A job that keeps failing is neither retried nor logged
 * every sweep, and waiting jobs are left out of the sweep's query: the others still get their turn.
 */
export class CompactionBackoff {
  private sweeps = 0;
  private readonly failed = new Map<string, { retryAt: number; wait: number }>();

  constructor(
    private readonly first = 10,
    private readonly max = 1_800,
  ) {}

  /** Starts a sweep; returns the jobs still waiting. */
  begin(): string[] {
    this.sweeps += 1;
    return [...this.failed].filter(([, f]) => f.retryAt > this.sweeps).map(([id]) => id);
  }

  /** The job's compaction failed: the sweeps it now waits. */
  failedAgain(jobId: string): number {
    const wait = Math.min(this.max, (this.failed.get(jobId)?.wait ?? this.first / 2) * 2);
    this.failed.set(jobId, { retryAt: this.sweeps + wait, wait });
    return wait;
  }

  /** The job was compacted, or holds no chunk any more. */
  forget(jobId: string): void {
    this.failed.delete(jobId);
  }

  /** Jobs whose wait is over. */
  due(): string[] {
    return [...this.failed].filter(([, f]) => f.retryAt <= this.sweeps).map(([id]) => id);
  }
}

/**
 * Compacts into rows the chunks of finished jobs whose follower stopped between the finish and the
 * compaction (jobs/follow-job.ts `finish`), the longest finished first: they stay readable until then,
 * the history reads rows only. A job whose compaction fails is logged and, with `backoff`, left out of
 * the next sweeps; the others go on. Returns the ids of the jobs compacted.
 */
export async function sweepFinishedChunks(db: Db, options: ChunkSweepOptions): Promise<string[]> {
  const { backoff } = options;
  const compacted: string[] = [];
  const waiting = backoff?.begin() ?? [];
  const jobs = await finishedJobsWithChunks(db, options.limit, waiting);
  // A job due again that the query did not return (fewer than the limit) holds no chunk any more.
  if (backoff && jobs.length < options.limit) for (const id of backoff.due()) if (!jobs.includes(id)) backoff.forget(id);
  for (const job of jobs) {
    if (options.signal?.aborted) break;
    if (options.skip?.(job)) continue;
    const started = Date.now();
    try {
      const chunks = await compactChunks(db, job);
      backoff?.forget(job);
      if (chunks === 0) continue;
      compacted.push(job);
      options.log.info({ job, chunks, ms: Date.now() - started, by: 'sweep' }, 'chunks compacted');
    } catch (err) {
      const sweeps = backoff?.failedAgain(job);
      options.log.warn({ job, err, ...(sweeps === undefined ? {} : { retryInSweeps: sweeps }) }, 'compacting chunks failed');
    }
  }
  return compacted;
}
