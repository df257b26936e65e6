/**
 * Carries one job from its current state in the database to the end: find out what a dead instance's
 * in-flight dispatches did, dispatch each waiting target to its next candidate master (failover), follow
 * every jid on the master that published it until each target returned or `timeout_s` passed, then
 * settle the job. Every write is made under the job's lease: an instance that lost it stops.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isFinishedJobStatus } from '@act2/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Updateable } from 'kysely';
import type { JobTargetsTable } from '../db/database.js';
import { insertEvents } from '../events/repository.js';
import { dispatchRound, sendRound, type DispatchPlan } from './dispatch-round.js';
import { guarded, type Call, type FollowContext } from './follow-context.js';
import { pollRound } from './poll-round.js';
import { recoverInFlight } from './recover-dispatch.js';
import { compactChunks } from './compact-chunks.js';
import { findJob, jobProgress, outcomeCounts, updateJob, updateTargetGroups, type JobRow, type PendingTarget } from './repository.js';

export { LeaseLostError, type FollowContext } from './follow-context.js';

/**
 * A job this instance just created and leased in the same transaction as its first round's dispatch
 * rows: following starts from what the creator has in memory (no claim, no reading 10,000 targets
 * back, no decrypting the call), by calling salt-api for those recorded dispatches.
 */
export interface JobStart {
  job: JobRow;
  call: Call;
  /** The first round, recorded (committed) at `at` with the job. */
  plans: DispatchPlan[];
  at: number;
}

export async function followJob(ctx: FollowContext, jobId: string, start?: JobStart): Promise<void> {
  const log = ctx.log.child({ job: jobId });
  const lookupErrors = new Map<string, string>();
  let job: JobRow;
  let call: Call;
  let progress: Awaited<ReturnType<typeof jobProgress>>;
  if (start) {
    ({ job, call } = start);
    if (!(await sendRound(ctx, job, call, start.plans, start.at, lookupErrors, log))) return;
    progress = await jobProgress(ctx.db, jobId);
  } else {
    const found = await findJob(ctx.db, jobId);
    if (!found || isFinishedJobStatus(found.status)) return;
    job = found;
    call = JSON.parse(ctx.box.open(job.call_enc)) as Call;
    // claimJob makes a job `running`; a job claimed by an older act2-server may still read `pending`.
    if (job.status === 'pending') await guarded(ctx, jobId, (trx) => updateJob(trx, jobId, { status: 'running' }), 'update');
    progress = await jobProgress(ctx.db, jobId);
    if (await recoverInFlight(ctx, job, progress.dispatches, log)) progress = await jobProgress(ctx.db, jobId);
  }

  // Whether the last step looked every followed jid up (a dispatch round does, as each master answers):
  // then the next lookup waits a poll interval.
  let justPolled = start !== undefined;
  while (!ctx.signal.aborted) {
    const { pending, dispatches } = progress;
    if (pending.length === 0) return finish(ctx, job, log);
    const deadline = Number(job.deadline_at);
    if ((await ctx.clock(ctx.db)) >= deadline) return expire(ctx, job, pending, lookupErrors, log);
    const waiting = pending.filter((t) => t.jid === null);
    if (waiting.length > 0) {
      const followed = pending.filter((t) => t.jid !== null);
      if (!(await dispatchRound(ctx, job, call, waiting, dispatches, lookupErrors, log, followed))) return;
      justPolled = true;
    } else {
      if (justPolled) await sleep(ctx.pollIntervalMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (ctx.signal.aborted) return;
      await pollRound(ctx, job, pending, lookupErrors, log);
      justPolled = true;
    }
    progress = await jobProgress(ctx.db, jobId);
  }
}

async function expire(ctx: FollowContext, job: JobRow, pending: PendingTarget[], lookupErrors: Map<string, string>, log: FastifyBaseLogger) {
  // Targets with the same outcome and reason (every target of a master that never answered) take one statement.
  const same = new Map<string, { patch: Updateable<JobTargetsTable>; seqs: number[] }>();
  for (const t of pending) {
    const lastError = lookupErrors.get(`${t.master_sn ?? ''}\u0000${t.jid ?? ''}`);
    const reason =
      t.jid === null
        ? `not dispatched within timeout_s (${Number(job.timeout_s)} s)`
        : `no return from ${t.master_sn ?? '?'} within timeout_s (${Number(job.timeout_s)} s)${lastError ? `; last lookup: ${lastError}` : ''}`;
    const outcome = t.jid === null ? ('dispatch_failed' as const) : ('no_return' as const);
    // A published target's jid, master and start are stored with its outcome (until now the dispatch row held them).
    const patch = { outcome, reason, jid: t.jid, master_sn: t.master_sn, started_at: t.started_at };
    const key = JSON.stringify([outcome, reason, t.jid, t.master_sn, t.started_at]);
    const group = same.get(key) ?? { patch, seqs: [] as number[] };
    group.seqs.push(Number(t.seq));
    same.set(key, group);
  }
  await guarded(ctx, job.id, async (trx, now) => {
    await updateTargetGroups(trx, job.id, [...same.values()].map(({ patch, seqs }) => ({ seqs, patch: { ...patch, finished_at: now } })));
  });
  await finish(ctx, job, log);
}

async function finish(ctx: FollowContext, job: JobRow, log: FastifyBaseLogger): Promise<void> {
  const counts = await outcomeCounts(ctx.db, job.id);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const returned = counts.returned ?? 0;
  const status = returned === total ? 'done' : returned > 0 ? 'partial' : 'failed';
  const finishedAt = await guarded(ctx, job.id, async (trx, now) => {
    await updateJob(trx, job.id, { status, finished_at: now, lease_until: null });
    await insertEvents(trx, [{ kind: 'job.finished', master_sn: '', detail: { job_id: job.id, fun: job.fun, status, counts } }], { instanceId: ctx.instanceId, at: now });
    return now;
  }, 'update');
  // Counted once the final status is committed: only the lease holder gets here.
  ctx.metrics.jobsFinished.inc({ status });
  for (const [outcome, n] of Object.entries(counts)) if (n > 0) ctx.metrics.jobTargets.inc({ outcome }, n);
  ctx.metrics.jobDuration.observe({ status }, Math.max(0, finishedAt - Number(job.created_at)) / 1000);
  log.info({ status, counts }, 'job finished');
  // Answers kept on chunks become rows now, after the finish and in their own transaction: storing a
  // fleet-wide answer did not wait for them, and the history reads rows only. A stop before this
  // leaves readable chunks that the runner's sweep compacts (sweep/chunk-sweep.ts).
  const started = Date.now();
  try {
    const chunks = await compactChunks(ctx.db, job.id);
    if (chunks > 0) log.info({ chunks, ms: Date.now() - started }, 'chunks compacted');
  } catch (err) {
    // The job is finished and its chunks readable: the sweep compacts them later.
    log.warn({ err }, 'compacting the chunks of a finished job failed');
  }
}
